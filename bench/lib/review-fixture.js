'use strict';
/**
 * The reference answers of the review on the synthetic day (test/fixtures/review/): where they
 * live and the part of an outcome they hold (events, counts per type, findings, errors).
 */
const { join } = require('node:path');

/** The synthetic day of the fixtures ends here, so its timestamps never change. */
const FIXTURE_END = Date.parse('2026-06-01T00:00:00.000Z');

const FIXTURE_DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'review');

function fixtureFile(size) {
  return join(FIXTURE_DIR, `synthetic-${size}.json`);
}

/** Findings in the engine's order; nothing that depends on the run (ids, times of the run). */
function referenceOutcome(outcome) {
  // An engine outcome has the counts by type; a run view (the CLI's --json) holds them in byType.
  const byType = outcome.counts.byType ?? outcome.counts;
  const counts = Object.fromEntries(Object.entries(byType).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    eventsReviewed: outcome.eventsReviewed,
    counts,
    findings: outcome.findings.map((finding) => ({
      rule: finding.rule,
      severity: finding.severity,
      subjectKind: finding.subjectKind,
      subject: finding.subject,
      evidence: finding.evidence,
      firstSeen: finding.firstSeen,
      lastSeen: finding.lastSeen,
      sampleEventIds: finding.sampleEventIds,
      measures: finding.measures,
    })),
    errors: outcome.errors,
  };
}

module.exports = { FIXTURE_END, FIXTURE_DIR, fixtureFile, referenceOutcome };
