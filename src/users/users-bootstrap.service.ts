import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { isDomainError } from '../common';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { USERS_MODULE_OPTIONS, UsersModuleOptions } from './users.module-definition';
import { UsersService } from './users.service';

export const INITIAL_ADMIN_PASSWORD_FILE = 'initial-admin-password';
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** 24 characters from a 57-symbol alphabet: about 140 bits, without look-alike characters. */
export function generateInitialPassword(length = 24): string {
  const bytes = randomBytes(length * 2);
  let password = '';
  for (const byte of bytes) {
    // Rejection sampling keeps every symbol equally likely.
    if (byte < 256 - (256 % PASSWORD_ALPHABET.length))
      password += PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.length];
    if (password.length === length) return password;
  }
  return password + generateInitialPassword(length - password.length);
}

/**
 * First start: with an empty user store, create the admin from BOOTSTRAP_ADMIN_* or `admin`
 * with a random password written to `<dataDir>/initial-admin-password` (0600). There are no
 * default credentials, and the password itself is never logged.
 */
@Injectable()
export class UsersBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('UsersBootstrap');

  constructor(
    private readonly users: UsersService,
    @Inject(USERS_MODULE_OPTIONS) private readonly options: UsersModuleOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.createInitialAdmin) await this.createInitialAdminIfEmpty();
  }

  async createInitialAdminIfEmpty(): Promise<void> {
    if ((await this.users.count()) > 0) return;
    const configured = this.options.bootstrapAdmin;
    if (configured?.username && configured.password) {
      const created = await this.createUnlessRaced({
        username: configured.username,
        password: configured.password,
        roles: ['admin'],
      });
      if (created)
        this.logger.log(
          `Created the first admin "${configured.username}" from BOOTSTRAP_ADMIN_USERNAME`,
        );
      return;
    }
    const password = generateInitialPassword();
    if (!(await this.createUnlessRaced({ username: 'admin', password, roles: ['admin'] }))) return;
    mkdirSync(this.options.dataDir, { recursive: true, mode: 0o700 });
    const file = resolve(join(this.options.dataDir, INITIAL_ADMIN_PASSWORD_FILE));
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    this.logger.warn(
      `Created the first admin "admin"; its password is in ${file} (mode 0600). Change it, then delete the file.`,
    );
  }

  /**
   * Several instances starting together on an empty database all see no user; one creates the
   * admin and the others must start normally rather than die on the duplicate.
   */
  private async createUnlessRaced(request: {
    username: string;
    password: string;
    roles: ['admin'];
  }): Promise<boolean> {
    try {
      await this.users.create(request);
      return true;
    } catch (error) {
      if (isDomainError(error, 'USERNAME_TAKEN')) {
        this.logger.log(`The first admin "${request.username}" was created by another instance`);
        return false;
      }
      throw error;
    }
  }
}
