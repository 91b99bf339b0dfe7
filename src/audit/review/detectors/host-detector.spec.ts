import { Injectable } from '@nestjs/common';
import { benignDay, EventScript, toAuditEvents } from '../../../../test/support/review-events';
import { loadReviewOptions } from '../../../config';
import { reviewEventFrom, reviewEvents } from '../review-engine';
// The detector below uses only what the package entry exports, as a host's would.
import {
  BUILT_IN_DETECTORS,
  DEFAULT_REVIEW_THRESHOLDS,
  entry,
  isFailedLogin,
  NO_LOGIN_HISTORY,
  ReviewDetector,
  Span,
} from '../../../index';
import type {
  DetectorContext,
  DetectorPass,
  Finding,
  ReviewDetectorRule,
  ReviewEvent,
} from '../../../index';

const SCRIPTED_AGENT = /^(curl|python-requests|Go-http-client)\//;

/**
 * A host's rule, written the way the built-in ones are: failed logins from an HTTP library
 * rather than a browser, per IP, reported once they reach the brute-force threshold.
 */
@Injectable()
@ReviewDetector()
class ScriptedLoginDetector implements ReviewDetectorRule {
  readonly rule = 'scripted-login';
  readonly description = 'Failed logins sent by an HTTP library, not a browser';

  start({ thresholds }: DetectorContext): DetectorPass {
    const byIp = new Map<string, { span: Span; failures: number; agents: Set<string> }>();
    return {
      observe: (event: ReviewEvent) => {
        if (!isFailedLogin(event) || !SCRIPTED_AGENT.test(event.userAgent)) return;
        const state = entry(byIp, event.ip, () => ({
          span: new Span(),
          failures: 0,
          agents: new Set<string>(),
        }));
        state.span.see(event);
        state.failures += 1;
        state.agents.add(event.userAgent);
      },
      findings: (): Finding[] =>
        [...byIp]
          .filter(([, state]) => state.failures >= thresholds.bruteForceFailures)
          .map(([ip, state]) => ({
            rule: this.rule,
            severity: 'medium',
            subjectKind: 'ip',
            subject: ip,
            evidence: { failures: state.failures, userAgents: [...state.agents] },
            firstSeen: state.span.firstSeen,
            lastSeen: state.span.lastSeen,
            sampleEventIds: state.span.samples,
          })),
    };
  }
}

/** The script's events as the offline review reads them: JSON lines of the audit file. */
async function* fileBatches(script: EventScript): AsyncGenerator<ReviewEvent[]> {
  const stored = toAuditEvents(script.events).map((event, i) => ({ id: i + 1, ...event }));
  const lines = stored.map((event) => JSON.stringify(event));
  yield lines.map((line) => reviewEventFrom(JSON.parse(line))!);
}

describe('a host detector built from the exported helpers', () => {
  it('finds the planted scripted attack among a benign day, next to the built-in rules', async () => {
    const script = new EventScript('2026-01-31T00:00:00.000Z');
    benignDay(script, 50, 500);
    const planted: ReviewEvent[] = [];
    for (let i = 0; i < 25; i += 1) {
      planted.push(
        script.add({
          type: 'authn_login_fail',
          outcome: 'failure',
          username: `user${i}`,
          reason: 'bad_password',
          ip: '203.0.113.7',
          userAgent: i % 2 === 0 ? 'python-requests/2.32' : 'curl/8.5.0',
          after: 30_000,
        }),
      );
    }
    // Below the threshold, and a browser failing as often: neither is this rule's pattern.
    for (let i = 0; i < 3; i += 1)
      script.add({
        type: 'authn_login_fail',
        outcome: 'failure',
        username: 'dave',
        reason: 'bad_password',
        ip: '203.0.113.8',
        userAgent: 'curl/8.5.0',
      });
    for (let i = 0; i < 30; i += 1)
      script.add({
        type: 'authn_login_fail',
        outcome: 'failure',
        username: 'erin',
        reason: 'bad_password',
        ip: '203.0.113.9',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
      });

    const outcome = await reviewEvents(
      fileBatches(script),
      [new ScriptedLoginDetector(), ...BUILT_IN_DETECTORS.map((Detector) => new Detector())],
      { window: script.window, thresholds: DEFAULT_REVIEW_THRESHOLDS, history: NO_LOGIN_HISTORY },
    );

    expect(outcome.errors).toEqual([]);
    const scripted = outcome.findings.filter((finding) => finding.rule === 'scripted-login');
    expect(scripted).toEqual([
      {
        rule: 'scripted-login',
        severity: 'medium',
        subjectKind: 'ip',
        subject: '203.0.113.7',
        evidence: { failures: 25, userAgents: ['python-requests/2.32', 'curl/8.5.0'] },
        firstSeen: planted[0].ts,
        lastSeen: planted[24].ts,
        sampleEventIds: planted.slice(0, 10).map((event) => event.id),
      },
    ]);
    // The built-in rules ran on the same pass (the browser's 30 failures on one account).
    expect(outcome.findings.some((finding) => finding.rule === 'brute-force')).toBe(true);
  });

  it('exports the thresholds the service configures by default', () => {
    const configured = loadReviewOptions({}).thresholds;
    expect({ ...DEFAULT_REVIEW_THRESHOLDS, ...configured }).toEqual(DEFAULT_REVIEW_THRESHOLDS);
  });
});
