import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEventInput, AuditService } from '../audit';
import { DomainError, ErrorBody, Role, toErrorBody } from '../common';
import { DeclaredRoles } from './declared-roles';
import { MINIMUM_ARGON2_PARAMETERS, PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';
import { InMemoryUsersRepository } from './testing/in-memory-users.repository';
import type { User } from './user';
import { UserLifecycleHooks } from './user-lifecycle.port';
import { INITIAL_ADMIN_PASSWORD_FILE, UsersBootstrapService } from './users-bootstrap.service';
import { UsersService } from './users.service';

class RecordingAudit {
  readonly events: AuditEventInput[] = [];
  record(input: AuditEventInput): Promise<unknown> {
    this.events.push(input);
    return Promise.resolve(input);
  }
}

class RecordingLifecycle extends UserLifecycleHooks {
  readonly disabled: string[] = [];
  readonly unlocked: string[] = [];
  onDisabled(user: User): Promise<void> {
    this.disabled.push(user.id);
    return Promise.resolve();
  }
  onUnlocked(user: User): Promise<void> {
    this.unlocked.push(user.id);
    return Promise.resolve();
  }
}

/** Roles of a host that declared more than Role (its GatehouseRoles) knows here. */
const hostRoles = (...names: string[]): Role[] => names as Role[];

const GOOD_PASSWORD = 'violet-harbour-tractor-91';

function setup(roles?: readonly string[]) {
  const repository = new InMemoryUsersRepository();
  const audit = new RecordingAudit();
  const lifecycle = new RecordingLifecycle();
  const hasher = new PasswordHasher(MINIMUM_ARGON2_PARAMETERS);
  const service = new UsersService(
    repository,
    hasher,
    new PasswordPolicy(),
    audit as unknown as AuditService,
    lifecycle,
    new DeclaredRoles(roles),
  );
  return { repository, audit, lifecycle, hasher, service };
}

/** The answer the exception filter makes of the domain error the promise rejects with. */
async function errorBodyOf(promise: Promise<unknown>): Promise<ErrorBody> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return toErrorBody(error).body;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('UsersService', () => {
  it('creates a user with the default role, hashed with argon2id, and audits it', async () => {
    const { service, repository, audit } = setup();
    const user = await service.create({ username: 'Alice', password: GOOD_PASSWORD });
    expect(user.roles).toEqual(['user']);
    expect(repository.users.get(user.id)?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(audit.events).toEqual([
      expect.objectContaining({ type: 'user_created', username: 'alice', userId: user.id }),
    ]);
    expect(JSON.stringify(audit.events)).not.toContain(GOOD_PASSWORD);
  });

  it.each(['alice', 'ALICE', ' Alice ', 'ａｌｉｃｅ'])(
    'answers 409 USERNAME_TAKEN for the variant %p',
    async (variant) => {
      const { service } = setup();
      await service.create({ username: 'Alice', password: GOOD_PASSWORD });
      const body = await errorBodyOf(
        service.create({ username: variant, password: GOOD_PASSWORD }),
      );
      expect(body.statusCode).toBe(409);
      expect(body.code).toBe('USERNAME_TAKEN');
    },
  );

  it('answers 400 PASSWORD_POLICY with the reasons, before hashing anything', async () => {
    const { service, repository } = setup();
    const body = await errorBodyOf(service.create({ username: 'bob', password: 'password' }));
    expect(body.statusCode).toBe(400);
    expect(body.code).toBe('PASSWORD_POLICY');
    expect(body.errors).toEqual(expect.arrayContaining(['password is too common']));
    expect(repository.users.size).toBe(0);
  });

  it('tells unknown user, wrong password and disabled apart internally', async () => {
    const { service } = setup();
    const user = await service.create({ username: 'carol', password: GOOD_PASSWORD });
    expect((await service.verifyCredentials('CAROL', GOOD_PASSWORD)).outcome).toBe('success');
    expect((await service.verifyCredentials('carol', `${GOOD_PASSWORD} `)).outcome).toBe(
      'bad_password',
    );
    expect((await service.verifyCredentials('nobody', GOOD_PASSWORD)).outcome).toBe('unknown_user');
    await service.update(user.id, { disabled: true });
    expect((await service.verifyCredentials('carol', GOOD_PASSWORD)).outcome).toBe('disabled');
  });

  it('rehashes a weaker stored hash after a successful login', async () => {
    const { service, repository } = setup();
    const user = await service.create({ username: 'dave', password: GOOD_PASSWORD });
    const weak = await new PasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 }).hash(
      GOOD_PASSWORD,
    );
    await repository.update(user.id, { passwordHash: weak }, Date.now());
    expect((await service.verifyCredentials('dave', GOOD_PASSWORD)).outcome).toBe('success');
    expect(repository.users.get(user.id)?.passwordHash).toContain('m=19456,t=2,p=1');
  });

  it('calls the lifecycle port when a user is disabled or unlocked', async () => {
    const { service, lifecycle, audit } = setup();
    const user = await service.create({ username: 'erin', password: GOOD_PASSWORD });
    await service.update(user.id, { disabled: true });
    await service.update(user.id, { disabled: true });
    await service.unlock(user.id);
    expect(lifecycle.disabled).toEqual([user.id]);
    expect(lifecycle.unlocked).toEqual([user.id]);
    expect(audit.events.map((event) => event.type)).toEqual([
      'user_created',
      'user_updated',
      'user_updated',
      'user_unlocked',
    ]);
  });

  it('changes a password only with the current one and a policy-compliant new one', async () => {
    const { service } = setup();
    const user = await service.create({ username: 'frank', password: GOOD_PASSWORD });
    expect(
      (
        await errorBodyOf(
          service.changePassword(user.id, 'wrong-current-pass', 'another-fine-pass-42'),
        )
      ).code,
    ).toBe('INVALID_CREDENTIALS');
    expect((await errorBodyOf(service.changePassword(user.id, GOOD_PASSWORD, 'short'))).code).toBe(
      'PASSWORD_POLICY',
    );
    await service.changePassword(user.id, GOOD_PASSWORD, 'another-fine-pass-42');
    expect((await service.verifyCredentials('frank', 'another-fine-pass-42')).outcome).toBe(
      'success',
    );
  });

  it('accepts the roles the host declares and refuses any other, as a DTO field would', async () => {
    const { service, repository, audit } = setup(['admin', 'user', 'auditor']);
    const created = await service.create({
      username: 'olive',
      password: GOOD_PASSWORD,
      roles: hostRoles('auditor'),
    });
    expect(created.roles).toEqual(['auditor']);
    const refused = await errorBodyOf(
      service.create({
        username: 'pat',
        password: GOOD_PASSWORD,
        roles: hostRoles('auditor', 'owner'),
      }),
    );
    expect(refused).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'Validation failed',
      errors: ['each value in roles must be one of the following values: admin, user, auditor'],
    });
    const patch = await errorBodyOf(service.update(created.id, { roles: hostRoles('owner') }));
    expect(patch.code).toBe('VALIDATION_FAILED');
    expect((await repository.findById(created.id))?.roles).toEqual(['auditor']);
    expect(audit.events.map((event) => event.type)).toEqual(['user_created']);
    const updated = await service.update(created.id, { roles: hostRoles('auditor', 'user') });
    expect(updated.roles).toEqual(['auditor', 'user']);
  });

  it('refuses a roles option it cannot work with, naming the option', () => {
    const problems: [unknown, RegExp][] = [
      [[], /option `roles` must list at least one role/],
      [['admin', 'user', 'admin'], /option `roles` lists "admin" twice/],
      [['user', 'auditor'], /option `roles` must include "admin", the role the admin routes/],
      [['admin', 'auditor'], /option `roles` must include "user"/],
      [['admin', 'user', 'Audit,or'], /option `roles` has "Audit,or": a role is 1 to 32/],
      ['admin', /option `roles` must list at least one role/],
    ];
    for (const [roles, message] of problems) {
      expect(() => new DeclaredRoles(roles as string[])).toThrow(message);
    }
    expect(new DeclaredRoles().list).toEqual(['admin', 'user']);
  });

  it('answers 404 for an unknown id', async () => {
    const { service } = setup();
    expect((await errorBodyOf(service.update('nope', { disabled: true }))).statusCode).toBe(404);
  });
});

describe('UsersBootstrapService (first start)', () => {
  const options = (dataDir: string, bootstrapAdmin?: { username?: string; password?: string }) => ({
    hashing: MINIMUM_ARGON2_PARAMETERS,
    dataDir,
    createInitialAdmin: true,
    bootstrapAdmin,
  });

  it('creates admin with a random 24-character password in a 0600 file', async () => {
    const { service, repository } = setup();
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-boot-'));
    await new UsersBootstrapService(service, options(dataDir)).onApplicationBootstrap();
    const file = join(dataDir, INITIAL_ADMIN_PASSWORD_FILE);
    const password = readFileSync(file, 'utf8').trim();
    expect(password).toHaveLength(24);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const admin = await repository.findByNormalizedUsername('admin');
    expect(admin?.roles).toEqual(['admin']);
    expect((await service.verifyCredentials('admin', password)).outcome).toBe('success');
  });

  it('uses BOOTSTRAP_ADMIN_USERNAME/PASSWORD when set, and writes no password file', async () => {
    const { service, repository } = setup();
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-boot-'));
    await new UsersBootstrapService(
      service,
      options(dataDir, { username: 'root', password: GOOD_PASSWORD }),
    ).onApplicationBootstrap();
    expect((await repository.findByNormalizedUsername('root'))?.roles).toEqual(['admin']);
    expect(() => statSync(join(dataDir, INITIAL_ADMIN_PASSWORD_FILE))).toThrow();
  });

  it('does nothing when users exist', async () => {
    const { service, repository } = setup();
    await service.create({ username: 'someone', password: GOOD_PASSWORD });
    await new UsersBootstrapService(
      service,
      options(mkdtempSync(join(tmpdir(), 'gh-boot-'))),
    ).onApplicationBootstrap();
    expect(await repository.count()).toBe(1);
  });
});
