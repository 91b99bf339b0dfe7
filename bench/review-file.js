'use strict';
/**
 * Scenario (e): the offline review (`OfflineReviewService.reviewFiles`, what
 * `gatehouse audit:review --file` runs) over one JSON-lines file, in a process of its own.
 * Usage: node bench/review-file.js <file>; prints one JSON line.
 */
const { performance } = require('node:perf_hooks');
const { bootContext } = require('./lib/app-context');
const { missingFindings } = require('./lib/synthetic-events');

async function main() {
  const file = process.argv[2];
  const { app, dist } = await bootContext();
  const { OfflineReviewService } = dist('audit/review');
  const offline = app.get(OfflineReviewService);
  const cpuBefore = process.cpuUsage();
  const loadAverage = require('node:os').loadavg()[0];
  const started = performance.now();
  const result = await offline.reviewFiles([file]);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await app.close();
  const findings = result.findings.map((finding) => ({
    rule: finding.rule,
    subject: finding.subject,
  }));
  process.stdout.write(
    `${JSON.stringify({
      eventsReviewed: result.eventsReviewed,
      skippedLines: result.skippedLines,
      wallMs,
      // Main thread plus V8's helper threads (GC); beside wallMs it shows how much of the
      // wall time went to waiting for a CPU on a busy machine.
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      loadAverage,
      findings: findings.length,
      missing: missingFindings(findings),
      errors: result.errors,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
