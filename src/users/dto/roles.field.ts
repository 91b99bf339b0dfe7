/**
 * The `roles` field of the users DTOs. Its shape is checked here (strings, role-name syntax,
 * a bounded list); whether each name is declared is UsersService's check, because the host
 * declares the roles at boot (`roles` option), after the DTO classes are defined. Both refuse
 * with `400 VALIDATION_FAILED`.
 */
export const MAX_ROLES = 32;

export const ROLES_DESCRIPTION =
  'Roles the application declares (the `roles` option; the service: `admin`, `user`). ' +
  'Any other name is refused with 400 VALIDATION_FAILED.';
