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
  const started = performance.now();
  const result = await offline.reviewFiles([file]);
  const wallMs = performance.now() - started;
  await app.close();
  const findings = result.findings.map((finding) => ({ rule: finding.rule, subject: finding.subject }));
  process.stdout.write(
    `${JSON.stringify({
      eventsReviewed: result.eventsReviewed,
      skippedLines: result.skippedLines,
      wallMs,
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
