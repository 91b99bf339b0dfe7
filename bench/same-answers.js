'use strict';
/**
 * Holds the review to its reference answers (test/fixtures/review/, written by
 * bench/write-review-fixture.js): for each size, the synthetic day as a JSON-lines file, plain
 * and gzipped, reviewed by the built CLI (`gatehouse audit:review --file --json`, the whole
 * process), must give the fixture's events, counts and findings exactly.
 * Usage: node bench/same-answers.js <size>...; exits 1 on the first difference.
 */
const { spawnSync } = require('node:child_process');
const { createWriteStream, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { once } = require('node:events');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { isDeepStrictEqual } = require('node:util');
const { createGzip } = require('node:zlib');
const { syntheticEvents } = require('./lib/synthetic-events');
const { FIXTURE_END, fixtureFile, referenceOutcome } = require('./lib/review-fixture');

const CLI = join(__dirname, '..', 'dist', 'cli.js');

async function writeDay(size, file, gzip) {
  const sink = createWriteStream(file);
  const out = gzip ? createGzip() : sink;
  if (gzip) out.pipe(sink);
  let lines = [];
  for (const event of syntheticEvents(size, { end: FIXTURE_END })) {
    lines.push(JSON.stringify(event));
    if (lines.length === 10_000) {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      lines = [];
    }
  }
  out.end(lines.length > 0 ? `${lines.join('\n')}\n` : undefined);
  await once(sink, 'finish');
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-same-answers-'));
  let failed = false;
  try {
    for (const size of process.argv.slice(2).map(Number)) {
      const expected = JSON.parse(readFileSync(fixtureFile(size), 'utf8'));
      for (const gzip of [false, true]) {
        const file = join(dir, `audit-${size}.jsonl${gzip ? '.gz' : ''}`);
        await writeDay(size, file, gzip);
        const run = spawnSync(process.execPath, [CLI, 'audit:review', '--file', file, '--json'], {
          encoding: 'utf8',
          maxBuffer: 1 << 28,
          env: { ...process.env, AUDIT_SEAL_KEY: '' },
        });
        if (run.status !== 0) throw new Error(`audit:review exited ${run.status}: ${run.stderr}`);
        // Through JSON, as the fixture was: keys holding undefined drop out.
        const actual = JSON.parse(JSON.stringify(referenceOutcome(JSON.parse(run.stdout))));
        const same = isDeepStrictEqual(actual, expected);
        process.stdout.write(
          `${size}${gzip ? ' (gzip)' : ''}: ${same ? 'same answers' : 'DIFFERENT'}\n`,
        );
        if (!same) {
          failed = true;
          process.stdout.write(`${JSON.stringify(actual).slice(0, 2000)}\n`);
        }
        rmSync(file);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
