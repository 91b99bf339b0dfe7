'use strict';
/**
 * Writes test/fixtures/review/synthetic-<size>.json: what the review engine of dist/ finds on
 * the bench's synthetic day (fixed end, so the file never changes) at each size given.
 * Run it once with the engine whose answers are the reference; `bench/same-answers.js` and
 * `review-engine.same-answers.spec.ts` then hold every later engine to them.
 * Usage: node bench/write-review-fixture.js <size>...
 */
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { syntheticEvents } = require('./lib/synthetic-events');
const { FIXTURE_END, fixtureFile, referenceOutcome } = require('./lib/review-fixture');

async function main() {
  const dist = (path) => require(join(__dirname, '..', 'dist', path));
  const { reviewEvents, reviewEventFrom } = dist('audit/review/review-engine');
  const { BUILT_IN_DETECTORS } = dist('audit/review/detectors');
  const { DEFAULT_REVIEW_THRESHOLDS } = dist('audit/review/review.options');
  for (const size of process.argv.slice(2).map(Number)) {
    async function* pages() {
      let page = [];
      for (const event of syntheticEvents(size, { end: FIXTURE_END })) {
        page.push(reviewEventFrom(JSON.parse(JSON.stringify(event))));
        if (page.length === 2000) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    }
    const outcome = await reviewEvents(
      pages(),
      BUILT_IN_DETECTORS.map((Detector) => new Detector()),
      {
        window: { from: new Date(0).toISOString(), to: '9999-12-31T23:59:59.999Z' },
        thresholds: DEFAULT_REVIEW_THRESHOLDS,
        history: { successfulIpsBefore: () => Promise.resolve(new Map()) },
      },
    );
    writeFileSync(fixtureFile(size), `${JSON.stringify(referenceOutcome(outcome), null, 1)}\n`);
    process.stdout.write(`${size}: ${outcome.findings.length} findings\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
