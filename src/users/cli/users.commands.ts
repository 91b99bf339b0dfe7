import {
  Command,
  CommandRunner,
  InquirerService,
  Option,
  Question,
  QuestionSet,
} from 'nest-commander';
import { Role } from '../../common';
import { formatTable, JSON_OPTION, printJson, printLines, UsageError } from '../../cli/index';
import { AdminUserView, toAdminUserView, User } from '../user';
import { UsersService } from '../users.service';
import { readPasswordFromStdin } from './read-password';

export const PASSWORD_QUESTIONS = 'gatehouse-password';

@QuestionSet({ name: PASSWORD_QUESTIONS })
export class PasswordQuestions {
  @Question({ type: 'password', name: 'password', message: 'Password:', mask: '*' })
  parsePassword(value: string): string {
    return value;
  }
}

import { ROLE_NAME } from '../declared-roles';

/** The syntax of a role list; whether each is declared is known once the module is built. */
function parseRoles(value: string): Role[] {
  const roles = value
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  for (const role of roles) {
    if (!ROLE_NAME.test(role)) throw new Error(`"${role}" is not a role name`);
  }
  return roles as Role[];
}

/** A role the application does not declare is a usage error (exit 2), as a bad option is. */
function assertDeclared(users: UsersService, roles: readonly string[] | undefined): void {
  const declared = users.declaredRoles as readonly string[];
  const unknown = roles?.find((role) => !declared.includes(role));
  if (unknown) throw new UsageError(`unknown role "${unknown}" (use ${declared.join(', ')})`);
}

interface CreateOptions {
  username?: string;
  roles?: Role[];
  json?: boolean;
}

interface JsonOption {
  json?: boolean;
}

function userRows(users: AdminUserView[]): string[] {
  return formatTable(
    ['USERNAME', 'ROLES', 'STATUS', 'ID'],
    users.map((user) => [
      user.username,
      user.roles.join(','),
      user.disabled ? 'disabled' : 'active',
      user.id,
    ]),
    'No users.',
  );
}

/** Prints one user, as JSON or as the sentence `<verb> <username> (roles …)`. */
function printUser(user: User, json: boolean | undefined, verb: string): void {
  const view = toAdminUserView(user);
  if (json) printJson(view);
  else printLines([`${verb} ${view.username} (roles ${view.roles.join(', ')}; id ${view.id})`]);
}

async function userNamed(users: UsersService, username: string): Promise<User> {
  const user = await users.findByUsername(username);
  if (!user) throw new Error(`no user named "${username}"`);
  return user;
}

/** The password never comes from argv (it would sit in shell history and `ps`). */
@Command({
  name: 'users:create',
  description: 'Create a user; the password is read from stdin or a hidden prompt',
})
export class UsersCreateCommand extends CommandRunner {
  constructor(
    private readonly users: UsersService,
    private readonly inquirer: InquirerService,
  ) {
    super();
  }

  async run(_params: string[], options: CreateOptions): Promise<void> {
    if (!options.username) throw new Error('--username is required');
    assertDeclared(this.users, options.roles);
    const password = process.stdin.isTTY
      ? (await this.inquirer.ask<{ password: string }>(PASSWORD_QUESTIONS, undefined)).password
      : await readPasswordFromStdin();
    const user = await this.users.create({
      username: options.username,
      password,
      roles: options.roles,
    });
    printUser(user, options.json, 'Created');
  }

  @Option({ flags: '-u, --username <username>', description: 'the username', required: true })
  parseUsername(value: string): string {
    return value;
  }

  @Option({
    flags: '-r, --roles <roles>',
    description: 'comma-separated roles the application declares (default: user)',
  })
  parseRoles(value: string): Role[] {
    return parseRoles(value);
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }
}

@Command({ name: 'users:list', description: 'List users (a table, or --json)' })
export class UsersListCommand extends CommandRunner {
  constructor(private readonly users: UsersService) {
    super();
  }

  async run(_params: string[], options: JsonOption = {}): Promise<void> {
    const all: AdminUserView[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.users.list(500, after);
      all.push(...page.map(toAdminUserView));
      if (page.length < 500) break;
      after = page[page.length - 1].usernameNormalized;
    }
    if (options.json) printJson({ items: all });
    else printLines(userRows(all));
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'users:disable',
  description: 'Disable a user and revoke its sessions',
  arguments: '<username>',
})
export class UsersDisableCommand extends CommandRunner {
  constructor(private readonly users: UsersService) {
    super();
  }

  async run([username]: string[], options: JsonOption = {}): Promise<void> {
    const user = await userNamed(this.users, username);
    printUser(await this.users.update(user.id, { disabled: true }), options.json, 'Disabled');
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }
}

/** Same service call (and audit event) as `POST /users/{id}/unlock`. */
@Command({
  name: 'users:unlock',
  description: 'Lift the login lockout of a user (as POST /users/{id}/unlock)',
  arguments: '<username>',
})
export class UsersUnlockCommand extends CommandRunner {
  constructor(private readonly users: UsersService) {
    super();
  }

  async run([username]: string[], options: JsonOption = {}): Promise<void> {
    const user = await userNamed(this.users, username);
    await this.users.unlock(user.id);
    if (options.json) printJson({ unlocked: toAdminUserView(user) });
    else printLines([`Unlocked ${user.username}`]);
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }
}

/**
 * Same service call (and audit event, and refusals such as LAST_ADMIN) as
 * `PATCH /users/{id}` with `roles`.
 */
@Command({
  name: 'users:roles',
  description: 'Replace the roles of a user (roles the application declares), as PATCH /users/{id}',
  arguments: '<username> <roles...>',
})
export class UsersRolesCommand extends CommandRunner {
  constructor(private readonly users: UsersService) {
    super();
  }

  async run([username, ...roles]: string[], options: JsonOption = {}): Promise<void> {
    let wanted: Role[];
    try {
      wanted = parseRoles(roles.join(','));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (wanted.length === 0) throw new UsageError('give at least one role');
    assertDeclared(this.users, wanted);
    const user = await userNamed(this.users, username);
    printUser(await this.users.update(user.id, { roles: wanted }), options.json, 'Updated');
  }

  @Option(JSON_OPTION)
  parseJson(): boolean {
    return true;
  }
}

export const USERS_COMMANDS = [
  UsersCreateCommand,
  UsersListCommand,
  UsersDisableCommand,
  UsersUnlockCommand,
  UsersRolesCommand,
];
