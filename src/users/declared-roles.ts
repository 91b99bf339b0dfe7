import { DEFAULT_ROLES, InvalidOptionError, Role, validationFailed } from '../common';

/** A role name: stored comma-separated, carried in the token, shown in tables. */
export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * The roles this application accepts, from the `roles` option (default `admin`, `user`).
 * Checked once at boot: a list that is empty, repeats a name, has a malformed name or lacks
 * `admin` (the role the admin routes require) or `user` (the role of a user created without
 * roles) stops the application with one error naming the option.
 */
export class DeclaredRoles {
  readonly list: readonly Role[];

  constructor(roles: readonly string[] = DEFAULT_ROLES, option = 'roles') {
    if (!Array.isArray(roles) || roles.length === 0) {
      throw new InvalidOptionError(option, 'must list at least one role (e.g. ["admin", "user"])');
    }
    const seen = new Set<string>();
    for (const role of roles) {
      if (typeof role !== 'string' || !ROLE_NAME.test(role)) {
        throw new InvalidOptionError(
          option,
          `has "${String(role)}": a role is 1 to 32 of a-z, 0-9, "_" and "-", starting with a letter`,
        );
      }
      if (seen.has(role)) throw new InvalidOptionError(option, `lists "${role}" twice`);
      seen.add(role);
    }
    for (const [required, why] of [
      ['admin', 'the role the admin routes (/users, /audit) require'],
      ['user', 'the role a user created without roles gets'],
    ] as const) {
      if (!seen.has(required)) {
        throw new InvalidOptionError(option, `must include "${required}", ${why}`);
      }
    }
    this.list = [...(roles as readonly string[])] as Role[];
  }

  has(role: string): role is Role {
    return (this.list as readonly string[]).includes(role);
  }

  /**
   * Refuses roles this application does not declare, in the shape (and words) of a refused
   * DTO field: `400 VALIDATION_FAILED` with the message in `errors`.
   */
  assertDeclared(roles: readonly string[] | undefined): asserts roles is Role[] | undefined {
    if (roles === undefined || roles.every((role) => this.has(role))) return;
    throw validationFailed(this.refusal());
  }

  refusal(): string {
    return `each value in roles must be one of the following values: ${this.list.join(', ')}`;
  }
}
