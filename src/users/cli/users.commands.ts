import {
  Command,
  CommandRunner,
  InquirerService,
  Option,
  Question,
  QuestionSet,
} from 'nest-commander';
import { ROLES, Role } from '../../common';
import { toAdminUserView } from '../user';
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

function parseRoles(value: string): Role[] {
  const roles = value
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  for (const role of roles) {
    if (!(ROLES as readonly string[]).includes(role))
      throw new Error(`unknown role "${role}" (use ${ROLES.join(', ')})`);
  }
  return roles as Role[];
}

interface CreateOptions {
  username?: string;
  roles?: Role[];
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
    const password = process.stdin.isTTY
      ? (await this.inquirer.ask<{ password: string }>(PASSWORD_QUESTIONS, undefined)).password
      : await readPasswordFromStdin();
    const user = await this.users.create({
      username: options.username,
      password,
      roles: options.roles,
    });
    process.stdout.write(`${JSON.stringify(toAdminUserView(user))}\n`);
  }

  @Option({ flags: '-u, --username <username>', description: 'the username', required: true })
  parseUsername(value: string): string {
    return value;
  }

  @Option({
    flags: '-r, --roles <roles>',
    description: `comma-separated roles (${ROLES.join(', ')}); default user`,
  })
  parseRoles(value: string): Role[] {
    return parseRoles(value);
  }
}

@Command({ name: 'users:list', description: 'List users as JSON lines' })
export class UsersListCommand extends CommandRunner {
  constructor(private readonly users: UsersService) {
    super();
  }

  async run(): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const page = await this.users.list(500, after);
      for (const user of page) process.stdout.write(`${JSON.stringify(toAdminUserView(user))}\n`);
      if (page.length < 500) return;
      after = page[page.length - 1].usernameNormalized;
    }
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

  async run([username]: string[]): Promise<void> {
    const user = await this.users.findByUsername(username);
    if (!user) throw new Error(`no user named "${username}"`);
    await this.users.update(user.id, { disabled: true });
    process.stdout.write(`disabled ${user.username}\n`);
  }
}

export const USERS_COMMANDS = [
  PasswordQuestions,
  UsersCreateCommand,
  UsersListCommand,
  UsersDisableCommand,
];
