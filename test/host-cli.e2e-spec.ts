import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ReviewDetector } from '../src/audit/review/review-detector.decorator';
import type { DetectorPass, ReviewDetectorRule } from '../src/audit/review/review.types';
import { runGatehouseCli } from '../src/cli-runner';
import { loadAppConfig } from '../src/config';
import { gatehouseOptionsFrom } from '../src/core.modules';
import { GatehouseModule, GatehouseModuleOptions } from '../src/gatehouse';

jest.setTimeout(120_000);

const ADMIN_PASSWORD = 'host-cli-admin-password-7q';

/** A host detector that needs a host service: proof that the CLI uses the host's module. */
@Injectable()
class OfficeCalendar {
  /** A closed office: every login is after hours, so the test does not depend on the clock. */
  readonly openToday = false;

  isOfficeHour(ts: string): boolean {
    const hour = new Date(ts).getUTCHours();
    return hour >= 8 && hour < 18 && this.openToday;
  }
}

@Injectable()
@ReviewDetector()
class AfterHoursLoginDetector implements ReviewDetectorRule {
  readonly rule = 'host-after-hours-login';
  readonly description = 'A successful login outside office hours (a host detector)';
  constructor(private readonly calendar: OfficeCalendar) {}

  start(): DetectorPass {
    const seen: { ts: string; username: string }[] = [];
    return {
      observe: (event) => {
        if (event.type === 'authn_login_success' && !this.calendar.isOfficeHour(event.ts)) {
          seen.push({ ts: event.ts, username: event.username ?? '' });
        }
      },
      findings: () =>
        seen.length === 0
          ? []
          : [
              {
                rule: this.rule,
                severity: 'low',
                subjectKind: 'username',
                subject: seen[0].username,
                evidence: { logins: seen.length },
                firstSeen: seen[0].ts,
                lastSeen: seen[seen.length - 1].ts,
                sampleEventIds: [],
              },
            ],
    };
  }
}

function hostOptions(dir: string): GatehouseModuleOptions {
  const config = loadAppConfig({
    NODE_ENV: 'test',
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${join(dir, 'host.db')}`,
    AUDIT_LOG_DIR: join(dir, 'audit'),
    REPORT_DIR: join(dir, 'reports'),
    JWT_SECRET: randomBytes(48).toString('base64url'),
    AUDIT_SEAL_KEY: randomBytes(48).toString('base64url'),
    BOOTSTRAP_ADMIN_USERNAME: 'admin',
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ARGON2_MEMORY_KIB: '19456',
    ARGON2_ITERATIONS: '2',
  });
  return { ...gatehouseOptionsFrom(config, 'server'), roles: ['admin', 'user', 'auditor'] };
}

/** Runs the CLI in this process and returns what it printed on stdout and stderr. */
async function cli(
  module: Parameters<typeof runGatehouseCli>[0],
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runGatehouseCli(module, { argv: ['node', 'cli', ...args] });
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

const rulesOf = (stdout: string): string[] =>
  (JSON.parse(stdout) as { findings: { rule: string }[] }).findings.map((f) => f.rule);

/**
 * `runGatehouseCli(HostModule)`: the Gatehouse commands over the host's own module, so a
 * detector the host registered (with its own dependencies) is in `audit:review` and in
 * `audit:review --file`, and the host's roles are the ones `users:roles` accepts.
 */
describe('the Gatehouse CLI over a host module (e2e)', () => {
  let dir: string;
  let HostModule: new () => unknown;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-host-cli-'));
    const options = hostOptions(dir);
    @Module({
      imports: [
        GatehouseModule.forRootAsync({
          useFactory: () => options,
          imports: [CalendarModule],
          detectors: [AfterHoursLoginDetector],
        }),
      ],
    })
    class Host {}
    HostModule = Host;

    // The host's server: two logins, so both the database and the audit file hold events.
    const app = await NestFactory.create(HostModule, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    const http = request(app.getHttpServer() as Server);
    for (let i = 0; i < 2; i += 1) {
      await http
        .post('/auth/login')
        .send({ username: 'admin', password: ADMIN_PASSWORD })
        .expect(200);
    }
    await app.close();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const auditFileLines = (): number =>
    readdirSync(join(dir, 'audit'))
      .filter((name) => name.startsWith('audit-'))
      .map((name) =>
        readFileSync(join(dir, 'audit', name), 'utf8')
          .split('\n')
          .filter(Boolean),
      )
      .flat().length;

  it("runs the host's detector in `audit:review` over the database", async () => {
    const linesBefore = auditFileLines();
    const run = await cli(HostModule, 'audit:review', '--dry-run', '--json');
    // stderr carries only the progress lines, no error.
    expect(run.stderr).not.toMatch(/^gatehouse:/m);
    expect(run.code).toBe(0);
    expect(rulesOf(run.stdout)).toContain('host-after-hours-login');
    // The CLI never writes the server's JSON-lines file (one writer keeps its chain linear).
    expect(auditFileLines()).toBe(linesBefore);
  });

  it("runs the host's detector in `audit:review --file` over the rotated files", async () => {
    const run = await cli(HostModule, 'audit:review', '--file', join(dir, 'audit'), '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { eventsReviewed: number; verification: unknown };
    expect(result.eventsReviewed).toBeGreaterThanOrEqual(2);
    expect(result.verification).toMatchObject({ ok: true });
    expect(rulesOf(run.stdout)).toContain('host-after-hours-login');
  });

  it("accepts the host's declared roles and refuses others with exit 2", async () => {
    const granted = await cli(HostModule, 'users:roles', 'admin', 'admin', 'auditor', '--json');
    expect(granted.code).toBe(0);
    expect(JSON.parse(granted.stdout)).toMatchObject({ roles: ['admin', 'auditor'] });
    const refused = await cli(HostModule, 'users:roles', 'admin', 'owner');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('gatehouse: unknown role "owner" (use admin, user, auditor)\n');
  });

  it('answers help without booting the module, and refuses a module without Gatehouse', async () => {
    const help = await cli(HostModule, '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('audit:review');
    @Module({})
    class NotAGatehouseHost {}
    const run = await cli(NotAGatehouseHost, 'users:list');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'gatehouse: the module given to runGatehouseCli does not import GatehouseModule (forRoot or forRootAsync)\n',
    );
  });
});

@Module({ providers: [OfficeCalendar], exports: [OfficeCalendar] })
class CalendarModule {}

describe('the roles option at boot (e2e)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'gatehouse-roles-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [[], 'Gatehouse: option `roles` must list at least one role'],
    [['admin', 'user', 'user'], 'Gatehouse: option `roles` lists "user" twice'],
    [['user', 'auditor'], 'Gatehouse: option `roles` must include "admin"'],
  ])('refuses roles %j with one error naming the option', async (roles, message) => {
    @Module({
      imports: [
        GatehouseModule.forRootAsync({
          useFactory: () => ({ ...hostOptions(dir), roles }),
        }),
      ],
    })
    class BadRolesHost {}
    await expect(
      NestFactory.createApplicationContext(BadRolesHost, { logger: false, abortOnError: false }),
    ).rejects.toThrow(message);
  });
});
