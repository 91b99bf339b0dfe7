'use strict';
/**
 * Scenario (d): one `ReviewService.run()` over the database named by DATABASE_URL, in a
 * process of its own so its peak RSS is the review's (plus the application it runs in).
 * Prints one JSON line: duration, events, findings, the planted attacks it missed, memory.
 */
const { performance } = require('node:perf_hooks');
const { setInterval, clearInterval } = require('node:timers');
const { bootContext } = require('./lib/app-context');
const { missingFindings } = require('./lib/synthetic-events');

async function main() {
  const { app, dist } = await bootContext();
  const { ReviewService } = dist('audit/review');
  const reviews = app.get(ReviewService);
  const rssAfterBootMiB = process.memoryUsage().rss / 2 ** 20;
  let peakRssSampled = rssAfterBootMiB;
  const sampler = setInterval(() => {
    peakRssSampled = Math.max(peakRssSampled, process.memoryUsage().rss / 2 ** 20);
  }, 50);
  const cpuBefore = process.cpuUsage();
  const loadAverage = require('node:os').loadavg()[0];
  const started = performance.now();
  const run = await reviews.run({ trigger: 'bench' });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  await app.close();
  const findings = run.findings.map((finding) => ({
    rule: finding.rule,
    subject: finding.subject,
  }));
  process.stdout.write(
    `${JSON.stringify({
      status: run.status,
      eventsReviewed: run.eventsReviewed,
      durationMs: run.durationMs,
      wallMs,
      // Main thread plus V8's helper threads (GC); beside wallMs it shows how much of the
      // wall time went to waiting for a CPU on a busy machine.
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      loadAverage,
      findings: findings.length,
      findingsByRule: run.counts?.findingsByRule,
      missing: missingFindings(findings),
      measures: run.measures.length,
      sealed: run.seal ? run.seal.lastEventId - run.seal.firstEventId + 1 : 0,
      errors: run.errors,
      rssAfterBootMiB,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      peakRssSampledMiB: peakRssSampled,
    })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
