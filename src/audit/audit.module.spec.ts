import { Injectable, INestApplication, Logger, ValidationPipe } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { HttpExceptionFilter, ROLES_KEY } from '../common';
import { DatabaseModule } from '../database';
import type { AuditEvent } from './audit-event';
import { AuditEventsController } from './audit-events.controller';
import { AUDIT_EVENTS_CURSOR } from './audit.service';
import { AuditModule } from './audit.module';
import { AuditRepository } from './audit.repository';
import { parseChainedLine } from './audit-file-chain';
import { AuditService } from './audit.service';
import { AuditSink } from './audit-sink';

@Injectable()
class MemorySink extends AuditSink {
  readonly name = 'memory';
  readonly events: AuditEvent[] = [];
  write(event: AuditEvent): void {
    this.events.push(event);
  }
  isHealthy(): boolean {
    return true;
  }
}

const SEAL_KEY = 's'.repeat(48);

async function createApp(
  logDir: string,
  fileSink = true,
  mountEvents = false,
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    // The controller mounted by hand, as AdminRoutesModule does (without its guard here).
    controllers: mountEvents ? [AuditEventsController] : [],
    imports: [
      DatabaseModule.forRoot({ url: 'sqlite::memory:', timeoutMs: 5000, poolSize: 1 }),
      AuditModule.forRootAsync({
        sinks: [MemorySink],
        useFactory: () => ({ sealKey: SEAL_KEY, logDir, fileSink, retentionDays: 30 }),
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  // The same pipe and filter as app.setup.ts; the global auth guard is not part of this module.
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  app.useGlobalFilters(new HttpExceptionFilter());
  await app.init();
  return app;
}

describe('AuditModule', () => {
  let dir: string;
  let errors: jest.SpyInstance;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'audit-module-'));
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records to the database, then to the file (the same JSON as the row) and to extra sinks', async () => {
    const app = await createApp(dir);
    const audit = app.get(AuditService);
    const event = await audit.record({
      type: 'authn_login_fail',
      outcome: 'failure',
      username: 'alice',
      reason: 'bad_password',
      sessionId: 'raw-session-id',
      details: { attempt: 1 },
    });
    const [row] = await app.get(AuditRepository).list({}, 1);
    expect(row).toEqual(event);
    expect(app.get(MemorySink).events).toEqual([event]);
    expect(audit.sinkHealth()).toEqual({ file: true, memory: true });
    await app.close();

    const file = join(dir, `audit-${new Date().toISOString().slice(0, 10)}.jsonl`);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    // The line is the row's JSON with the chain's `prev` and `mac` as its last members.
    expect(parseChainedLine(text.slice(0, -1))?.eventJson).toBe(JSON.stringify(row));
    expect(readFileSync(file, 'utf8')).not.toContain('raw-session-id');
  });

  it('keeps every event in the database when the file sink cannot write: logged once, reported down', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    const app = await createApp(join(blocker, 'audit'));
    const audit = app.get(AuditService);
    for (let n = 0; n < 3; n++)
      await audit.record({ type: 'authn_login_fail', outcome: 'failure', username: `u${n}` });

    expect(await app.get(AuditRepository).count()).toBe(3);
    expect(app.get(MemorySink).events).toHaveLength(3);
    expect(audit.sinkHealth()).toEqual({ file: false, memory: true });
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0][0])).toContain('events are still stored in the database');
    await app.close();
  });

  it('mounts no /audit route by itself: without authentication there is nothing to open', async () => {
    const app = await createApp(dir);
    const server = app.getHttpServer() as Parameters<typeof request>[0];
    await request(server).get('/audit/events').expect(404);
    await request(server).post('/audit/reviews').send({}).expect(404);
    await app.close();
  });

  it('opens no file when the file sink is off', async () => {
    const app = await createApp(join(dir, 'never'), false);
    await app.get(AuditService).record({ type: 'authn_login_success', outcome: 'success' });
    expect(app.get(AuditService).sinkHealth()).toEqual({ memory: true });
    await app.close();
    expect(() => readFileSync(join(dir, 'never'))).toThrow();
  });
});

describe('GET /audit/events', () => {
  let app: INestApplication;
  let dir: string;
  let ids: number[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-events-'));
    app = await createApp(dir, false, true);
    const audit = app.get(AuditService);
    ids = [];
    const at = (minute: number): string =>
      new Date(Date.UTC(2026, 0, 31, 10, minute)).toISOString();
    for (let n = 0; n < 120; n++) {
      const event = await audit.record({
        ts: at(n % 60),
        type: n % 3 === 0 ? 'authn_login_success' : 'authn_login_fail',
        outcome: n % 3 === 0 ? 'success' : 'failure',
        username: n % 2 === 0 ? 'john' : 'mary',
        ip: n % 4 === 0 ? '::ffff:198.51.100.4' : '203.0.113.1',
      });
      ids.push(event.id);
    }
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (query: Record<string, string | number>) =>
    request(app.getHttpServer() as Parameters<typeof request>[0])
      .get('/audit/events')
      .query(query);

  it('is admin-only by metadata, for the global guard', () => {
    expect(Reflect.getMetadata(ROLES_KEY, AuditEventsController)).toEqual(['admin']);
  });

  it('answers { items, nextCursor }, newest first, 50 by default', async () => {
    const response = await get({}).expect(200);
    expect(Object.keys(response.body as object)).toEqual(['items', 'nextCursor']);
    const items = (response.body as { items: AuditEvent[] }).items;
    expect(items).toHaveLength(50);
    expect(items.map((event) => event.id)).toEqual([...ids].reverse().slice(0, 50));
    expect(AUDIT_EVENTS_CURSOR.decode((response.body as { nextCursor: string }).nextCursor)).toBe(
      items[49].id,
    );
  });

  it('walks every event once with the cursor, and ends with nextCursor null', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string | number> = { limit: 37 };
      if (cursor) query.cursor = cursor;
      const body = (await get(query).expect(200)).body as {
        items: AuditEvent[];
        nextCursor: string | null;
      };
      seen.push(...body.items.map((event) => event.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by type, outcome, normalised username, IP spelling and time', async () => {
    const itemsOf = async (query: Record<string, string | number>): Promise<AuditEvent[]> =>
      ((await get({ limit: 500, ...query }).expect(200)).body as { items: AuditEvent[] }).items;

    const successes = await itemsOf({ type: 'authn_login_success' });
    expect(successes).toHaveLength(40);
    expect(successes.every((event) => event.type === 'authn_login_success')).toBe(true);
    expect(await itemsOf({ outcome: 'failure' })).toHaveLength(80);
    // Any spelling of the username that normalises the same way finds it.
    expect(await itemsOf({ username: '  ＪＯＨＮ ' })).toHaveLength(60);
    expect(await itemsOf({ username: 'MARY', type: 'authn_login_success' })).toHaveLength(20);
    // An IPv4 matches its IPv4-mapped IPv6 spelling too.
    expect(await itemsOf({ ip: '198.51.100.4' })).toHaveLength(30);
    expect(await itemsOf({ ip: '::ffff:198.51.100.4' })).toHaveLength(30);
    // from inclusive, to exclusive; a time without an offset is UTC.
    expect(await itemsOf({ from: '2026-01-31T10:10:00Z', to: '2026-01-31T10:20:00' })).toHaveLength(
      20,
    );
    expect(
      await itemsOf({ from: '2026-01-31T11:10:00+01:00', to: '2026-01-31T10:11:00.000Z' }),
    ).toHaveLength(2);
    expect(await itemsOf({ from: '2026-02-01' })).toHaveLength(0);
  });

  it.each([
    [{ limit: 0 }],
    [{ limit: 501 }],
    [{ limit: 2.5 }],
    [{ limit: 'ten' }],
    [{ type: 'login' }],
    [{ outcome: 'ok' }],
    [{ from: '31/01/2026' }],
    [{ from: '2026-02-30' }],
    [{ to: 'yesterday' }],
    [{ from: '2026-02-01', to: '2026-01-01' }],
    [{ ip: 'not-an-ip' }],
    [{ username: '' }],
    [{ username: '   ' }],
    [{ cursor: 'garbage!' }],
    [{ cursor: Buffer.from('ae1:-5').toString('base64url') }],
    [{ cursor: Buffer.from('12').toString('base64url') }],
    [{ unknown: 'x' }],
  ])('answers 400 VALIDATION_FAILED for %j', async (query) => {
    const response = await get(query).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect((response.body as { errors: unknown[] }).errors.length).toBeGreaterThan(0);
  });

  it('accepts the limits 1 and 500', async () => {
    expect(((await get({ limit: 1 }).expect(200)).body as { items: unknown[] }).items).toHaveLength(
      1,
    );
    expect(
      ((await get({ limit: 500 }).expect(200)).body as { items: unknown[] }).items,
    ).toHaveLength(120);
  });

  it('makes cursors that round-trip and reveal nothing but an id', () => {
    expect(AUDIT_EVENTS_CURSOR.decode(AUDIT_EVENTS_CURSOR.encode(12345))).toBe(12345);
    expect(AUDIT_EVENTS_CURSOR.encode(1)).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
