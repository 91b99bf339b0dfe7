import { Injectable, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AuditModule, SessionRevoker } from '../audit';
import { ReviewModule } from '../audit/review';
import { testGatehouseOptions } from '../../test/support/gatehouse-options';
import { DatabaseModule } from '../database';
import { GatehouseModule } from './gatehouse.module';

/** Keeps every `log` line of the application, with its context. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown, context?: string): void {
    this.lines.push(`[${context ?? ''}] ${String(message)}`);
  }
  error(): void {}
  warn(): void {}
  debug(): void {}
  verbose(): void {}
}

@Injectable()
class NoSessionsRevoker extends SessionRevoker {
  revokeAllForUsername(): Promise<number> {
    return Promise.resolve(0);
  }
}

const KEY = randomBytes(48).toString('base64url');

describe('admin routes at boot', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-admin-routes-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says why /audit is absent when the audit modules are imported without authentication', async () => {
    const logger = new CapturingLogger();
    const audit = AuditModule.forRoot({
      sealKey: KEY,
      logDir: dir,
      fileSink: false,
      retentionDays: 1,
    });
    const moduleRef = await Test.createTestingModule({
      imports: [
        DatabaseModule.forRoot({ url: 'sqlite::memory:', timeoutMs: 5000, poolSize: 1 }),
        audit,
        ReviewModule.forRoot({ imports: [audit], sessionRevoker: NoSessionsRevoker }),
      ],
    })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    const server = app.getHttpServer() as Parameters<typeof request>[0];
    try {
      const notices = logger.lines.filter((line) => line.includes('not mounted'));
      expect(notices).toEqual([
        expect.stringMatching(
          /^\[Gatehouse\] \/audit\/events and \/audit\/stats not mounted: AuditModule is imported without authentication\. .*GatehouseModule\.forRoot/,
        ),
        expect.stringMatching(
          /^\[Gatehouse\] \/audit\/reviews, \/audit\/blocks and \/audit\/integrity not mounted: ReviewModule is imported without authentication\./,
        ),
      ]);
      // Absent, as the line says: not open.
      await request(server).post('/audit/reviews').send({}).expect(404);
      await request(server).get('/audit/events').expect(404);
    } finally {
      await app.close();
    }
  });

  it('says they are mounted behind the guard, and nothing else, with GatehouseModule', async () => {
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [GatehouseModule.forRoot(testGatehouseOptions(dir))],
    })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    try {
      expect(logger.lines.filter((line) => line.includes('not mounted'))).toEqual([]);
      expect(logger.lines).toContain(
        '[Gatehouse] Admin routes /users and /audit mounted behind AuthGuard (role checks per route)',
      );
      await request(app.getHttpServer() as Parameters<typeof request>[0])
        .get('/audit/events')
        .expect(401);
    } finally {
      await app.close();
    }
  });
});
