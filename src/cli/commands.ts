import type { Type } from '@nestjs/common';
import type { CommandRunner } from 'nest-commander';
import { AUDIT_COMMANDS } from '../audit/audit.commands';
import { BLOCKS_COMMANDS } from '../audit/blocks/blocks.commands';
import { REVIEW_COMMANDS } from '../audit/review/review.commands';
import { MigrateCommand } from '../database/cli/migrate.command';
import { USERS_COMMANDS } from '../users/cli/users.commands';

/** Every `gatehouse` command; argv is parsed against these before any of them is built. */
export const CLI_COMMANDS: Type<CommandRunner>[] = [
  MigrateCommand,
  ...USERS_COMMANDS,
  ...BLOCKS_COMMANDS,
  ...AUDIT_COMMANDS,
  ...REVIEW_COMMANDS,
];
