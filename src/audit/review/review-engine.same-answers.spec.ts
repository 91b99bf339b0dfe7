import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachDialect, truncateAll } from '../../../test/support/database';
import { storeReviewEvents } from '../../../test/support/review-events';
import { BUILT_IN_DETECTORS } from './detectors';
import { reviewAuditFiles } from './offline-review';
import { reviewEvents } from './review-engine';
import { DEFAULT_REVIEW_THRESHOLDS } from './review.options';
import { KyselyReviewRepository } from './review.repository';
import { NO_LOGIN_HISTORY, type ReviewEvent } from './review.types';

// The bench's synthetic day and the reference answers of the engine as it was before issue
// 16 (test/fixtures/review/, written by bench/write-review-fixture.js).
/* eslint-disable @typescript-eslint/no-require-imports */
const { syntheticEvents } = require('../../../bench/lib/synthetic-events') as {
  syntheticEvents: (total: number, options: { end: number }) => Iterable<Record<string, unknown>>;
};
const { FIXTURE_END, fixtureFile, referenceOutcome } =
  require('../../../bench/lib/review-fixture') as {
    FIXTURE_END: number;
    fixtureFile: (size: number) => string;
    referenceOutcome: (outcome: unknown) => unknown;
  };
/* eslint-enable @typescript-eslint/no-require-imports */

const SIZE = 3000;
const expected: unknown = JSON.parse(readFileSync(fixtureFile(SIZE), 'utf8'));
const lines = [...syntheticEvents(SIZE, { end: FIXTURE_END })].map((event) =>
  JSON.stringify(event),
);
const detectors = () => BUILT_IN_DETECTORS.map((Detector) => new Detector());
const everything = { from: new Date(0).toISOString(), to: '9999-12-31T23:59:59.999Z' };
/** Through JSON, as the fixture was written: keys holding undefined drop out. */
const asStored = (outcome: unknown): unknown =>
  JSON.parse(JSON.stringify(referenceOutcome(outcome)));

describe('the review engine on the synthetic day', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-same-answers-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the reference findings from a JSON-lines file', async () => {
    const file = join(dir, 'audit-day.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    const outcome = await reviewAuditFiles([file], detectors(), DEFAULT_REVIEW_THRESHOLDS);
    expect(outcome.badLines.count).toBe(0);
    expect(asStored(outcome)).toEqual(expected);
  });

  it('gives the same findings wherever the file is cut into chunks (CRLF lines too)', async () => {
    // Lines that straddle the reader's 1 MiB chunks and Windows line ends change nothing.
    const file = join(dir, 'audit-crlf.jsonl');
    await writeFile(file, `${lines.join('\r\n')}\r\n`);
    const outcome = await reviewAuditFiles([file], detectors(), DEFAULT_REVIEW_THRESHOLDS);
    expect(outcome.badLines.count).toBe(0);
    expect(asStored(outcome)).toEqual(expected);
  });
});

describeEachDialect('the database review on the synthetic day', (database) => {
  beforeEach(async () => {
    await truncateAll(database().db);
  });

  it('gives the reference findings from audit_events', async () => {
    const events = lines.map((line) => {
      const event = JSON.parse(line) as ReviewEvent;
      return { ...event, time: Date.parse(event.ts) };
    });
    await storeReviewEvents(database().db, events);
    const repository = new KyselyReviewRepository(database().db, database().connection);
    const range = await repository.eventIdRange(everything.from, everything.to);
    async function* pages(): AsyncGenerator<ReviewEvent[]> {
      let afterId = range!.firstId - 1;
      for (;;) {
        const page = await repository.listEventsForReview(afterId, range!.lastId, 500);
        if (page.length === 0) return;
        yield page;
        afterId = page[page.length - 1].id;
      }
    }
    const outcome = await reviewEvents(pages(), detectors(), {
      window: everything,
      thresholds: DEFAULT_REVIEW_THRESHOLDS,
      history: NO_LOGIN_HISTORY,
    });
    expect(asStored(outcome)).toEqual(expected);
  });
});
