import { Injectable, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditModule, SessionRevoker } from '../audit';
import { ReviewModule } from '../audit/review';
import { ReviewDetector } from '../audit/review';
import { ReviewService } from '../audit/review';
import type { DetectorPass, ReviewDetectorRule } from '../audit/review';
import { AuthGuard, SessionService } from '../auth';
import { MissingBindingError } from '../common';
import { DatabaseModule } from '../database';
import { UsersModule, UsersRepository, UsersService } from '../users';
import { InMemoryUsersRepository } from '../users/testing';
import { testGatehouseOptions } from '../../test/support/gatehouse-options';
import { GatehouseModule } from './gatehouse.module';
import type { GatehouseModuleOptions } from './gatehouse.options';

const KEY = randomBytes(48).toString('base64url');

function options(dir: string): GatehouseModuleOptions {
  return testGatehouseOptions(dir, { AUDIT_SEAL_KEY: KEY });
}

/** A host's detector: one finding whatever the events, so the test sees it ran. */
@Injectable()
@ReviewDetector()
class AlwaysDetector implements ReviewDetectorRule {
  readonly rule = 'host-always';
  readonly description = 'Always reports';
  start(): DetectorPass {
    return {
      observe: () => undefined,
      findings: () => [
        {
          rule: this.rule,
          severity: 'low',
          subjectKind: 'ip',
          subject: '192.0.2.1',
          evidence: {},
          firstSeen: '2026-01-01T00:00:00.000Z',
          lastSeen: '2026-01-01T00:00:00.000Z',
          sampleEventIds: [],
        },
      ],
    };
  }
}

/** Stands for a host's config module: the factory of forRootAsync injects from it. */
const HOST_SETTINGS = Symbol('HOST_SETTINGS');
@Module({
  providers: [{ provide: HOST_SETTINGS, useValue: { dir: '' } }],
  exports: [HOST_SETTINGS],
})
class HostConfigModule {}

describe('GatehouseModule', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-module-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('wires every module from forRootAsync, with the host store and detector, no module global', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        GatehouseModule.forRootAsync({
          imports: [HostConfigModule],
          inject: [HOST_SETTINGS],
          useFactory: () => options(dir),
          usersStore: InMemoryUsersRepository,
          detectors: [AlwaysDetector],
        }),
      ],
    }).compile();
    try {
      const users = moduleRef.get(UsersService);
      const created = await users.create({
        username: 'alice',
        password: 'a long enough password 1',
      });
      const store = moduleRef.get(UsersRepository, { strict: false });
      expect(store).toBeInstanceOf(InMemoryUsersRepository);
      expect((store as InMemoryUsersRepository).users.size).toBe(1);
      const run = await moduleRef.get(ReviewService).run({ trigger: 'test', dryRun: true });
      expect(run.findings.map((finding) => finding.rule)).toContain('host-always');
      // The lifecycle port is auth's: disabling reaches SessionService.
      const revoke = jest.spyOn(moduleRef.get(SessionService), 'revokeAllForUser');
      await users.update(created.id, { disabled: true });
      expect(revoke).toHaveBeenCalledWith(
        expect.objectContaining({ id: created.id }),
        'user_disabled',
      );
    } finally {
      await moduleRef.close();
    }
  });

  it('registers AuthGuard as APP_GUARD by default, and not with globalGuard: false', async () => {
    const guards = async (globalGuard?: boolean) => {
      const moduleRef = await Test.createTestingModule({
        imports: [GatehouseModule.forRoot({ ...options(dir), globalGuard })],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      const container = (
        app as unknown as {
          container: { getModules(): Map<string, { providers: Map<unknown, unknown> }> };
        }
      ).container;
      const global = [...container.getModules().values()].flatMap((module) =>
        [...module.providers.keys()].filter(
          (key) => typeof key === 'string' && key.startsWith(APP_GUARD),
        ),
      );
      expect(app.get(AuthGuard, { strict: false })).toBeInstanceOf(AuthGuard);
      await app.close();
      return global.length;
    };
    expect(await guards()).toBe(1);
    expect(await guards(false)).toBe(0);
  });

  it('refuses to boot UsersModule without the UserLifecycleHooks port, naming it and how to bind it', async () => {
    const building = Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ url: 'sqlite::memory:', timeoutMs: 5000, poolSize: 1 }),
        UsersModule.forRootAsync({
          imports: [
            AuditModule.forRoot({ sealKey: KEY, logDir: dir, fileSink: false, retentionDays: 1 }),
          ],
          useFactory: () => options(dir).users,
        }),
      ],
    }).compile();
    await expect(building).rejects.toThrow(MissingBindingError);
    await expect(building).rejects.toThrow(
      /nothing is bound to UserLifecycleHooks\. Import GatehouseModule\.forRoot\(\.\.\.\), or pass `lifecycle`/,
    );
  });

  it('refuses to boot ReviewModule without the SessionRevoker port', async () => {
    const building = Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ url: 'sqlite::memory:', timeoutMs: 5000, poolSize: 1 }),
        ReviewModule.forRoot({
          imports: [
            AuditModule.forRoot({ sealKey: KEY, logDir: dir, fileSink: false, retentionDays: 1 }),
          ],
        }),
      ],
    }).compile();
    await expect(building).rejects.toThrow(
      /nothing is bound to SessionRevoker\..*`sessionRevoker`/,
    );
    expect(SessionRevoker).toBeDefined();
  });
});
