'use strict';
/**
 * Scenario (c): the cost of `AuditService.record()` in-process, on the database named by
 * DATABASE_URL. Each record is awaited before the next (as a login does), timed end to end,
 * and the repository insert alone is timed through the `gatehouse:audit:write` channel.
 * Usage: node bench/audit-write.js <records>; prints one JSON line.
 */
const diagnosticsChannel = require('node:diagnostics_channel');
const { performance } = require('node:perf_hooks');
const { bootContext } = require('./lib/app-context');
const { percentile } = require('./lib/util');

async function main() {
  const records = Number(process.argv[2] ?? 2000);
  const warmup = Math.min(200, Math.ceil(records / 5));
  const { app, dist } = await bootContext();
  const { AuditService } = dist('audit');
  const { runWithRequestContext, AUDIT_WRITE_CHANNEL } = dist('common');
  const audit = app.get(AuditService);

  const inserts = [];
  const onWrite = ({ seconds }) => inserts.push(seconds * 1000);
  diagnosticsChannel.subscribe(AUDIT_WRITE_CHANNEL, onWrite);

  const totals = [];
  for (let i = 0; i < warmup + records; i += 1) {
    const context = {
      requestId: `bench-${i}`,
      ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0',
      method: 'POST',
      path: '/auth/login',
    };
    const started = performance.now();
    await runWithRequestContext(context, () =>
      audit.record({
        type: i % 2 ? 'authn_login_fail' : 'authn_login_success',
        outcome: i % 2 ? 'failure' : 'success',
        username: `user${i % 500}`,
        userId: '3f6c1a52-9b1e-4c7d-8a55-0c2f1e9d7b34',
        reason: i % 2 ? 'bad_password' : undefined,
        sessionId: i % 2 ? undefined : `session-${i}`,
      }),
    );
    if (i >= warmup) totals.push(performance.now() - started);
  }
  diagnosticsChannel.unsubscribe(AUDIT_WRITE_CHANNEL, onWrite);
  await app.close();

  const measuredInserts = inserts.slice(warmup).sort((a, b) => a - b);
  totals.sort((a, b) => a - b);
  const summary = (values) => ({
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  });
  process.stdout.write(
    `${JSON.stringify({ records, recordMs: summary(totals), insertMs: summary(measuredInserts) })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
