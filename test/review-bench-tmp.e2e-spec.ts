import Sqlite from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { AuditModule } from '../src/audit';
import { ReviewService } from '../src/audit/review/review.service';
import { DatabaseModule, migrateToLatest, openDatabase } from '../src/database';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);

it('bench', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-'));
  const file = join(dir, 'bench.db');
  const conn = openDatabase({ url: `sqlite:${file}`, timeoutMs: 5000, poolSize: 1 });
  await migrateToLatest(conn.db);
  await conn.close();
  const raw = new Sqlite(file);
  const insert = raw.prepare(`insert into audit_events (ts,type,level,outcome,username,reason,ip,user_agent,request_id,method,path,details) values (?,?,?,?,?,?,?,?,?,?,?,?)`);
  const start = Date.parse('2026-05-01T00:00:00.000Z');
  const t0 = Date.now();
  raw.transaction(() => {
    for (let i = 0; i < N; i += 1) {
      const ts = new Date(start + Math.floor((i * 86_400_000) / N)).toISOString();
      const user = i % 20000;
      const r = i % 100;
      const ip = `10.${(user >> 8) & 255}.${user & 255}.1`;
      if (r < 5) insert.run(ts, 'authn_login_fail', 'WARN', 'failure', `user${user}`, 'bad_password', ip, 'Mozilla/5.0', `req${i}`, 'POST', '/auth/login', null);
      else if (r < 6) insert.run(ts, 'authn_login_fail', 'WARN', 'failure', `ghost${i % 50000}`, 'unknown_user', `100.64.${(i >> 8) & 255}.${i & 255}`, 'curl', `req${i}`, 'POST', '/auth/login', null);
      else if (r < 60) insert.run(ts, 'authn_login_success', 'INFO', 'success', `user${user}`, null, ip, 'Mozilla/5.0', `req${i}`, 'POST', '/auth/login', '{"sessionId":"x"}');
      else insert.run(ts, 'authn_token_refreshed', 'INFO', 'success', `user${user}`, null, ip, 'Mozilla/5.0', `req${i}`, 'POST', '/auth/refresh', null);
    }
  })();
  raw.close();
  console.log(`inserted ${N} in ${Date.now() - t0} ms`);

  const moduleRef = await Test.createTestingModule({
    imports: [
      DatabaseModule.forRoot({ url: `sqlite:${file}`, timeoutMs: 60000, poolSize: 1 }),
      AuditModule.forRoot({ isGlobal: true, sealKey: 'k'.repeat(48), logDir: dir, fileSink: false, retentionDays: 3650, review: { enabled: false, timeZone: 'UTC', reportDir: dir, thresholds: { bruteForceFailures: 20, sprayingUsernames: 10, stuffingIps: 20, stuffingUsernames: 20, distributedIps: 10, successAfterFailures: 5, enumerationUnknown: 20, lockoutBurstAccounts: 5, lockoutBurstWindow: 600 }, ipBlockBase: 3600, ipBlockMax: 86400, accountLock: 3600 } }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  {
    const { ReviewRepository } = await import('../src/audit/review/review.repository');
    const repo = app.get(ReviewRepository);
    const range = (await repo.eventIdRange('2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'))!;
    let ta = Date.now();
    let total = 0;
    for (let after = range.firstId - 1; ; ) {
      const page = await repo.listEventsForReview(after, range.lastId, 5000);
      if (page.length === 0) break;
      total += page.length;
      after = page[page.length - 1].id;
    }
    console.log(`read ${total} in ${Date.now() - ta} ms`);
    const raw2 = new Sqlite(file, { readonly: true });
    const stmt = raw2.prepare('select id, ts, type, outcome, username, reason, ip, method, path from audit_events where id > ? and id <= ? order by id asc limit ?');
    ta = Date.now(); total = 0;
    for (let after = range.firstId - 1; ; ) {
      const rows = stmt.all(after, range.lastId, 5000) as { id: number }[];
      if (rows.length === 0) break;
      total += rows.length;
      after = rows[rows.length - 1].id;
    }
    console.log(`raw read ${total} in ${Date.now() - ta} ms`);
    const stmt2 = raw2.prepare('select id, ts, type, outcome, username, reason, ip, method, path from audit_events where id > ? and id <= ? order by id asc limit ?').raw(true);
    ta = Date.now(); total = 0;
    for (let after = range.firstId - 1; ; ) {
      const rows = stmt2.all(after, range.lastId, 5000) as unknown[][];
      if (rows.length === 0) break;
      total += rows.length;
      after = rows[rows.length - 1][0] as number;
    }
    console.log(`raw array read ${total} in ${Date.now() - ta} ms`);
    raw2.close();
    const { reviewEvents } = await import('../src/audit/review/review-engine');
    const { ReviewDetectorRegistry } = await import('../src/audit/review/review-detector.registry');
    const { DEFAULT_REVIEW_THRESHOLDS } = await import('../src/audit/review/review.options');
    const { NO_LOGIN_HISTORY } = await import('../src/audit/review/review.types');
    const pages: any[] = [];
    for (let after = range.firstId - 1; pages.length < 40; ) {
      const page = await repo.listEventsForReview(after, range.lastId, 5000);
      if (page.length === 0) break;
      pages.push(page);
      after = page[page.length - 1].id;
    }
    for (const d of app.get(ReviewDetectorRegistry).all()) {
      ta = Date.now();
      async function* gen() { for (const p of pages) yield p; }
      await reviewEvents(gen(), [d], { window: { from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' }, thresholds: DEFAULT_REVIEW_THRESHOLDS, history: NO_LOGIN_HISTORY });
      console.log(`${d.rule}: ${Date.now() - ta} ms for 200k`);
    }
  }
  let peak = process.memoryUsage().rss;
  const rssBefore = peak;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t1 = Date.now();
  const run = await app.get(ReviewService).run({ trigger: 'bench', dryRun: process.env.BENCH_DRY === '1' });
  const reviewMs = Date.now() - t1;
  clearInterval(timer);
  console.log(`review ${run.eventsReviewed} events in ${reviewMs} ms, findings ${run.findings.length}, seal ${JSON.stringify(run.seal?.eventCount)}, rss before ${(rssBefore / 1e6).toFixed(0)} MB peak ${(peak / 1e6).toFixed(0)} MB`);
  console.log(JSON.stringify(run.counts.findingsByRule));
  await app.close();
}, 600_000);
