import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedEnv, runCli, startServer } from './support/process';

describe('first start of the real server (npm start on a fresh machine)', () => {
  it('serves /health on a new SQLite file and writes the initial admin password with mode 0600', async () => {
    const env = isolatedEnv();
    const server = await startServer(env);
    try {
      const response = await fetch(`${server.url}/health`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBeTruthy();
      const body = (await response.json()) as {
        status: string;
        info: Record<string, { status: string }>;
      };
      expect(body.info.database.status).toBe('up');
      const file = join(env.DATA_DIR, 'initial-admin-password');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // The data folder holds password hashes and development secrets: owner only.
      expect(statSync(env.DATA_DIR).mode & 0o777).toBe(0o700);
      const password = readFileSync(file, 'utf8').trim();
      expect(password).toHaveLength(24);
      expect(server.output()).toContain(file);
      expect(server.output()).not.toContain(password);
      const docs = await fetch(`${server.url}/docs-json`);
      expect(docs.status).toBe(200);
    } finally {
      // Nest's shutdown hooks close the database, then re-raise SIGTERM.
      const ended = await server.stop('SIGTERM');
      expect(ended.code === 0 || ended.signal === 'SIGTERM').toBe(true);
      expect(server.output()).not.toMatch(/ERROR/);
    }
  }, 60_000);

  it('refuses to start in production without secrets, with one clear line', async () => {
    const env = isolatedEnv({ NODE_ENV: 'production' });
    const result = runCli(['users:list'], env);
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid configuration: JWT_SECRET is required when NODE_ENV=production',
    );
  });
});

describe('the gatehouse CLI', () => {
  const env = isolatedEnv();
  const password = 'violet-harbour-tractor-91';

  it('creates a user with the password read from stdin, never from argv', () => {
    const created = runCli(
      ['users:create', '--username', 'Grace', '--roles', 'admin,user', '--json'],
      env,
      `${password}\n`,
    );
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      username: 'Grace',
      roles: ['admin', 'user'],
      disabled: false,
    });
    const refused = runCli(['users:create', '--username', 'Heidi', '--password', password], env);
    expect(refused.status).not.toBe(0);
  });

  it('lists, disables and reports errors on one line with a non-zero exit', () => {
    const listed = runCli(['users:list'], env);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^USERNAME +ROLES +STATUS +ID\nGrace +admin,user +active /);
    expect(listed.stdout).not.toContain(password);
    // Grace is the only admin: disabling her is refused (LAST_ADMIN) until another admin exists.
    const lastAdmin = runCli(['users:disable', 'grace'], env);
    expect(lastAdmin.status).toBe(1);
    expect(lastAdmin.stderr.trim().split('\n')).toHaveLength(1);
    const olivia = runCli(
      ['users:create', '--username', 'Olivia', '--roles', 'admin'],
      env,
      `${password}\n`,
    );
    expect(olivia.status).toBe(0);
    expect(runCli(['users:disable', 'grace'], env).status).toBe(0);
    const json = runCli(['users:list', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({
      items: expect.arrayContaining([
        expect.objectContaining({ username: 'Grace', disabled: true }),
      ]),
    });
    const duplicate = runCli(['users:create', '--username', 'GRACE'], env, password);
    expect(duplicate.status).toBe(1);
    expect(duplicate.stderr.trim()).toBe('gatehouse: Username is taken');
    const weak = runCli(['users:create', '--username', 'ivan'], env, 'password');
    expect(weak.status).toBe(1);
    expect(weak.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('applies migrations with db:migrate', () => {
    const result = runCli(['db:migrate'], isolatedEnv());
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Applied 0001_initial/);
  });
});
