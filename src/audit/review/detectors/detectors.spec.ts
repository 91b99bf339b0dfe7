import { benignDay, EventScript } from '../../../../test/support/review-events';
import { reviewEvents } from '../review-engine';
import { DEFAULT_REVIEW_THRESHOLDS } from '../review.options';
import type { DetectorContext, LoginHistory, ReviewDetectorRule } from '../review.types';
import { NO_LOGIN_HISTORY } from '../review.types';
import {
  BruteForceDetector,
  BUILT_IN_DETECTORS,
  CredentialStuffingDetector,
  DistributedAttackDetector,
  LockoutBurstDetector,
  NewIpSuccessDetector,
  PasswordSprayingDetector,
  RefreshTokenReuseDetector,
  SuccessAfterFailuresDetector,
  UsernameEnumerationDetector,
} from './index';

const allDetectors = (): ReviewDetectorRule[] =>
  BUILT_IN_DETECTORS.map((Detector) => new Detector());

async function review(
  script: EventScript,
  detectors: ReviewDetectorRule[] = allDetectors(),
  history: LoginHistory = NO_LOGIN_HISTORY,
) {
  const context: DetectorContext = {
    window: script.window,
    thresholds: DEFAULT_REVIEW_THRESHOLDS,
    history,
  };
  return reviewEvents(script.pages(), detectors, context);
}

function historyOf(known: Record<string, string[]>): LoginHistory {
  return {
    successfulIpsBefore: (usernames) =>
      Promise.resolve(
        new Map(
          usernames.filter((name) => known[name]).map((name) => [name, new Set(known[name])]),
        ),
      ),
  };
}

describe('review detectors', () => {
  it('give zero findings on 10,000 benign logins from 500 users', async () => {
    const script = new EventScript();
    benignDay(script, 500, 10_000);
    const outcome = await review(script);
    expect(outcome.counts.authn_login_success).toBe(10_000);
    expect(outcome.findings).toEqual([]);
    expect(outcome.errors).toEqual([]);
  });

  it('brute force: many failures on one account from one IP, blocking that IP only', async () => {
    const script = new EventScript();
    script.succeed('alice', '192.0.2.10');
    for (let i = 0; i < 25; i += 1) script.fail('alice', '203.0.113.5');
    script.fail('alice', '192.0.2.10');
    const { findings } = await review(script);
    expect(findings.map((f) => f.rule)).toEqual(['brute-force']);
    const [finding] = findings;
    expect(finding).toMatchObject({ severity: 'high', subjectKind: 'username', subject: 'alice' });
    expect(finding.evidence).toMatchObject({ failures: 26, distinctIps: 2 });
    expect(finding.measures).toEqual([{ kind: 'block_ip', ip: '203.0.113.5' }]);
    expect(finding.sampleEventIds).toHaveLength(10);
    expect(finding.sampleEventIds[0]).toBe(2);
    expect(finding.firstSeen < finding.lastSeen).toBe(true);
  });

  it('brute force stays quiet under its threshold', async () => {
    const script = new EventScript();
    for (let i = 0; i < 19; i += 1) script.fail('alice', '203.0.113.5');
    expect((await review(script, [new BruteForceDetector()])).findings).toEqual([]);
  });

  it('distributed attack: failures on one account from many IPs lock the account', async () => {
    const script = new EventScript();
    for (let i = 0; i < 12; i += 1) {
      script.fail('bob', `198.18.0.${i}`);
      script.fail('bob', `198.18.0.${i}`);
    }
    const { findings } = await review(script);
    expect(findings.map((f) => f.rule)).toEqual(['distributed-attack']);
    expect(findings[0].evidence).toMatchObject({ failures: 24, distinctIps: 12 });
    expect(findings[0].measures).toEqual([{ kind: 'lock_account', username: 'bob' }]);
  });

  it('password spraying: one IP, many existing usernames, and the IP is blocked', async () => {
    const script = new EventScript();
    for (let i = 0; i < 15; i += 1) script.fail(`victim${i}`, '203.0.113.9');
    const { findings } = await review(script);
    expect(findings.map((f) => f.rule)).toEqual(['password-spraying']);
    expect(findings[0]).toMatchObject({ subjectKind: 'ip', subject: '203.0.113.9' });
    expect(findings[0].evidence).toMatchObject({ failures: 15, distinctUsernames: 15 });
    expect(findings[0].measures).toEqual([{ kind: 'block_ip', ip: '203.0.113.9' }]);
  });

  it('password spraying ignores typos of users behind one shared IP', async () => {
    const script = new EventScript();
    for (let i = 0; i < 15; i += 1) {
      script.fail(`staff${i}`, '10.0.0.1');
      script.succeed(`staff${i}`, '10.0.0.1');
    }
    expect((await review(script, [new PasswordSprayingDetector()])).findings).toEqual([]);
  });

  it('credential stuffing: many IPs, each trying a few accounts once', async () => {
    const script = new EventScript();
    for (let ip = 0; ip < 30; ip += 1) {
      for (let u = 0; u < 3; u += 1)
        script.fail(
          `leak${ip * 3 + u}`,
          `100.64.${ip}.1`,
          u === 2 ? 'unknown_user' : 'bad_password',
        );
    }
    const { findings } = await review(script);
    expect(findings.map((f) => f.rule)).toEqual(['credential-stuffing']);
    const [finding] = findings;
    expect(finding).toMatchObject({ severity: 'critical', subjectKind: 'campaign' });
    expect(finding.evidence.distinctIps).toBe(30);
    expect(finding.evidence.distinctUsernames).toBeGreaterThanOrEqual(80);
    expect(finding.evidence.failures).toBe(90);
  });

  it('credential stuffing counts a flood of IPs in bounded memory', async () => {
    const detector = new CredentialStuffingDetector();
    const pass = detector.start({
      window: { from: '2026-01-31T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
      thresholds: DEFAULT_REVIEW_THRESHOLDS,
      history: NO_LOGIN_HISTORY,
    });
    const base = Date.parse('2026-01-31T01:00:00.000Z');
    for (let i = 0; i < 120_000; i += 1) {
      pass.observe({
        id: i + 1,
        ts: new Date(base + i).toISOString(),
        time: base + i,
        type: 'authn_login_fail',
        outcome: 'failure',
        username: `u${i}`,
        reason: 'unknown_user',
        ip: `ip${i}`,
        userAgent: 'bot/1.0',
        method: 'POST',
        path: '/auth/login',
      });
    }
    const [finding] = await pass.findings();
    expect(Number(finding.evidence.distinctIps)).toBeGreaterThan(110_000);
    expect(Number(finding.evidence.distinctIps)).toBeLessThan(130_000);
  });

  it('success after N failures: a possible compromise, whose sessions are revoked', async () => {
    const script = new EventScript();
    for (let i = 0; i < 6; i += 1) script.fail('carol', '203.0.113.20');
    script.succeed('carol', '203.0.113.20');
    for (let i = 0; i < 3; i += 1) script.fail('dave', '192.0.2.30');
    script.succeed('dave', '192.0.2.30');
    const { findings } = await review(script, [new SuccessAfterFailuresDetector()]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: 'success-after-failures',
      severity: 'critical',
      subject: 'carol',
    });
    expect(findings[0].evidence).toMatchObject({ failuresBeforeSuccess: 6, occurrences: 1 });
    expect(findings[0].measures).toEqual([{ kind: 'revoke_sessions', username: 'carol' }]);
    expect(findings[0].sampleEventIds).toContain(7);
  });

  it('new IP: a success from an IP the user never used, against the window and the history', async () => {
    const script = new EventScript();
    script.succeed('erin', '192.0.2.1');
    script.succeed('erin', '192.0.2.1');
    const fresh = script.succeed('erin', '203.0.113.99');
    script.succeed('frank', '192.0.2.2'); // first login ever: not news
    script.succeed('grace', '192.0.2.3'); // known from history
    script.succeed('heidi', '192.0.2.4'); // history knows another IP only
    const history = historyOf({ grace: ['192.0.2.3'], heidi: ['198.51.100.4'] });
    const { findings } = await review(script, [new NewIpSuccessDetector()], history);
    expect(findings.map((f) => [f.subject, f.evidence.newIps])).toEqual([
      ['erin', ['203.0.113.99']],
      ['heidi', ['192.0.2.4']],
    ]);
    expect(findings[0].sampleEventIds).toEqual([fresh.id]);
    expect(findings[0].measures).toBeUndefined();
  });

  it('username enumeration: one IP, many unknown usernames, and the IP is blocked', async () => {
    const script = new EventScript();
    for (let i = 0; i < 25; i += 1) script.fail(`guess${i}`, '203.0.113.40', 'unknown_user');
    const { findings } = await review(script);
    expect(findings.map((f) => f.rule)).toEqual(['username-enumeration']);
    expect(findings[0]).toMatchObject({ subject: '203.0.113.40', severity: 'medium' });
    expect(findings[0].evidence).toEqual({ failures: 25, distinctUnknownUsernames: 25 });
    expect(findings[0].measures).toEqual([{ kind: 'block_ip', ip: '203.0.113.40' }]);
  });

  it('refresh-token reuse: any reuse is critical and ends the user’s sessions', async () => {
    const script = new EventScript();
    script.refresh('ivan', '192.0.2.5');
    script.reuse('ivan', '203.0.113.66');
    const { findings } = await review(script, [new RefreshTokenReuseDetector()]);
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'refresh-token-reuse',
        severity: 'critical',
        subject: 'ivan',
        evidence: { reuses: 1, ips: ['203.0.113.66'] },
        measures: [{ kind: 'revoke_sessions', username: 'ivan' }],
      }),
    ]);
  });

  it('lockout burst: many accounts locked within the window make one finding', async () => {
    const script = new EventScript();
    for (let i = 0; i < 7; i += 1) script.lock(`staff${i}`, `198.18.1.${i}`, 30_000);
    const { findings } = await review(script, [new LockoutBurstDetector()]);
    expect(findings).toHaveLength(1);
    expect(findings[0].evidence).toMatchObject({ accountsLocked: 7, lockEvents: 7 });
    expect(findings[0].sampleEventIds).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('lockout burst stays quiet when the same locks are spread over the day, or placed by the review', async () => {
    const script = new EventScript();
    for (let i = 0; i < 7; i += 1) script.lock(`staff${i}`, '198.18.1.1', 3 * 3600_000);
    for (let i = 0; i < 7; i += 1) {
      script.add({
        type: 'authn_login_lock',
        outcome: 'success',
        username: `victim${i}`,
        reason: 'locked',
        ip: '-',
        path: 'login-review',
      });
    }
    expect((await review(script, [new LockoutBurstDetector()])).findings).toEqual([]);
  });

  it('reviews only events inside the window', async () => {
    const script = new EventScript();
    for (let i = 0; i < 25; i += 1) script.fail('alice', '203.0.113.5');
    const context: DetectorContext = {
      window: { from: script.events[10].ts, to: script.events[20].ts },
      thresholds: DEFAULT_REVIEW_THRESHOLDS,
      history: NO_LOGIN_HISTORY,
    };
    const outcome = await reviewEvents(script.pages(7), [new BruteForceDetector()], context);
    expect(outcome.eventsReviewed).toBe(10);
    expect(outcome.firstEventId).toBe(11);
    expect(outcome.lastEventId).toBe(20);
    expect(outcome.findings).toEqual([]);
  });

  it('places events in the window alike whether ts and bounds are canonical ISO or not', async () => {
    const script = new EventScript('2026-01-31T08:00:00.000Z');
    for (let i = 0; i < 25; i += 1) script.fail('alice', '203.0.113.5');
    // Canonical ts are compared as text, others (a hand-written file) by time.
    script.events[5].ts = '2026-01-31T08:00:06Z';
    script.events[15].ts = '2026-01-31T09:00:16+01:00';
    const context: DetectorContext = {
      window: { from: '2026-01-31T09:00:11+01:00', to: '2026-01-31T08:00:21Z' },
      thresholds: DEFAULT_REVIEW_THRESHOLDS,
      history: NO_LOGIN_HISTORY,
    };
    const outcome = await reviewEvents(script.pages(7), [new BruteForceDetector()], context);
    expect(outcome.eventsReviewed).toBe(10);
    expect(outcome.firstEventId).toBe(11);
    expect(outcome.lastEventId).toBe(20);
  });

  it('reports a detector that throws and keeps the others', async () => {
    const broken: ReviewDetectorRule = {
      rule: 'broken',
      description: 'throws',
      start: () => ({
        observe: () => {
          throw new Error('boom');
        },
        findings: () => [],
      }),
    };
    const script = new EventScript();
    for (let i = 0; i < 25; i += 1) script.fail(`guess${i}`, '203.0.113.40', 'unknown_user');
    const outcome = await review(script, [
      broken,
      new UsernameEnumerationDetector(),
      new DistributedAttackDetector(),
    ]);
    expect(outcome.errors).toEqual(['broken: boom']);
    expect(outcome.findings.map((f) => f.rule)).toEqual(['username-enumeration']);
  });
});

/** Issue 10, item 6: the review's measures follow the login lockout's rule. */
describe('review detectors: lockout abuse', () => {
  const refuse = (script: EventScript, username: string, ip: string, reason: string) =>
    script.add({ type: 'authn_login_fail', outcome: 'failure', username, reason, ip });

  it('(a) 10 IPs with one wrong password each make no finding and no measure', async () => {
    const script = new EventScript();
    for (let i = 0; i < 10; i += 1) script.fail('victim', `198.18.3.${i}`);
    expect((await review(script)).findings).toEqual([]);
  });

  it('(b) a distributed attack needs REVIEW_DISTRIBUTED_FAILURES checked failures as well as the IPs', async () => {
    const script = new EventScript();
    for (let i = 0; i < 19; i += 1) script.fail('victim', `198.18.4.${i}`);
    expect((await review(script, [new DistributedAttackDetector()])).findings).toEqual([]);
    script.fail('victim', '198.18.4.19');
    const { findings } = await review(script, [new DistributedAttackDetector()]);
    expect(findings.map((f) => [f.rule, f.evidence.failures])).toEqual([
      ['distributed-attack', 20],
    ]);
    expect(findings[0].measures).toEqual([{ kind: 'lock_account', username: 'victim' }]);
  });

  it('(c) the owner logging in from a known IP after five attacker failures revokes nothing', async () => {
    const inWindow = new EventScript();
    inWindow.succeed('victim', '192.0.2.50');
    for (let i = 0; i < 5; i += 1) inWindow.fail('victim', '203.0.113.66');
    inWindow.succeed('victim', '192.0.2.50');
    expect((await review(inWindow, [new SuccessAfterFailuresDetector()])).findings).toEqual([]);

    // Known from the history before the window (within the retention) is known too.
    const fromHistory = new EventScript();
    for (let i = 0; i < 5; i += 1) fromHistory.fail('victim', '203.0.113.66');
    fromHistory.succeed('victim', '192.0.2.50');
    const history = historyOf({ victim: ['192.0.2.50'] });
    expect(
      (await review(fromHistory, [new SuccessAfterFailuresDetector()], history)).findings,
    ).toEqual([]);
    // Without that history the success is from a never-seen IP: suspicious.
    const { findings } = await review(fromHistory, [new SuccessAfterFailuresDetector()]);
    expect(findings.map((f) => [f.rule, f.evidence.successIps])).toEqual([
      ['success-after-failures', ['192.0.2.50']],
    ]);
  });

  it('(c) a success from an IP that took part in the failures stays suspicious, known or not', async () => {
    const script = new EventScript();
    script.succeed('victim', '203.0.113.66');
    for (let i = 0; i < 5; i += 1) script.fail('victim', '203.0.113.66');
    script.succeed('victim', '203.0.113.66');
    const { findings } = await review(script, [new SuccessAfterFailuresDetector()]);
    expect(findings.map((f) => f.measures)).toEqual([
      [{ kind: 'revoke_sessions', username: 'victim' }],
    ]);
  });

  it('(d) refused attempts (429 throttled, locked, ip_blocked; 503 busy) are not evidence', async () => {
    const script = new EventScript();
    for (let i = 0; i < 30; i += 1) {
      refuse(script, 'victim', `198.18.5.${i}`, 'locked');
      refuse(script, 'victim', '203.0.113.70', 'throttled');
      refuse(script, `user${i}`, '203.0.113.71', 'ip_blocked');
      refuse(script, 'victim', `198.18.6.${i}`, 'busy');
      script.add({
        type: 'authn_login_lock',
        outcome: 'failure',
        username: 'victim',
        reason: 'locked',
        ip: `198.18.7.${i}`,
      });
    }
    for (let i = 0; i < 5; i += 1) refuse(script, 'victim', '203.0.113.72', 'throttled');
    script.succeed('victim', '203.0.113.72');
    const { findings } = await review(script, [
      new BruteForceDetector(),
      new DistributedAttackDetector(),
      new PasswordSprayingDetector(),
      new CredentialStuffingDetector(),
      new SuccessAfterFailuresDetector(),
      new UsernameEnumerationDetector(),
    ]);
    expect(findings).toEqual([]);
  });

  it('brute force never blocks an IP that logged into the account before the window', async () => {
    const script = new EventScript();
    for (let i = 0; i < 25; i += 1) script.fail('alice', '192.0.2.77');
    const history = historyOf({ alice: ['192.0.2.77'] });
    const { findings } = await review(script, [new BruteForceDetector()], history);
    expect(findings).toHaveLength(1);
    expect(findings[0].measures).toEqual([]);
  });
});
