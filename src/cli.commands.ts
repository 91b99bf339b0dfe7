import type { Type } from '@nestjs/common';
import type { CommandRunner } from 'nest-commander';
import { AUDIT_COMMANDS, BLOCKS_COMMANDS } from './audit';
import { REVIEW_COMMANDS } from './audit/review';
import { MigrateCommand } from './database';
import { USERS_COMMANDS } from './users';

/** Every `gatehouse` command; argv is parsed against these before any of them is built. */
export const CLI_COMMANDS: Type<CommandRunner>[] = [
  MigrateCommand,
  ...USERS_COMMANDS,
  ...BLOCKS_COMMANDS,
  ...AUDIT_COMMANDS,
  ...REVIEW_COMMANDS,
];
