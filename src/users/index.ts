export { UsersModule } from './users.module';
export { USERS_MODULE_OPTIONS } from './users.module-definition';
export type { UsersModuleOptions, UsersModuleExtras } from './users.module-definition';
export { UsersService, USERNAME_MAX_LENGTH } from './users.service';
export type { CredentialCheck, CreateUserRequest, UpdateUserRequest } from './users.service';
export {
  UsersRepository,
  UsernameTakenError,
  LastAdminError,
  isEnabledAdminAfter,
} from './users.repository';
export { DeclaredRoles, ROLE_NAME } from './declared-roles';
export type { NewUser, UserPatch } from './users.repository';
export { UserLifecycleHooks } from './user-lifecycle.port';
export {
  PasswordHasher,
  readArgon2Parameters,
  MINIMUM_ARGON2_PARAMETERS,
  HashQueueFullError,
  NODE_ARGON2_ENGINE,
  DEFAULT_HASH_QUEUE_SIZE,
  paddingParameters,
} from './password-hasher';
export type {
  Argon2Parameters,
  Argon2Engine,
  HashPriority,
  PasswordHasherOptions,
  VerifyResult,
} from './password-hasher';
export { PasswordPolicy, PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH } from './password-policy';
export { normalizeUsername, codePointLength } from './username';
export { toPublicUser, toAdminUserView } from './user';
export type { User, PublicUser, AdminUserView } from './user';
export { INITIAL_ADMIN_PASSWORD_FILE } from './users-bootstrap.service';
export { UsersController } from './users.controller';
export { AdminUserDto, AdminUserPageDto, PublicUserDto } from './dto/user.response';
export { PASSWORD_QUESTIONS, PasswordQuestions, USERS_COMMANDS } from './cli/users.commands';
