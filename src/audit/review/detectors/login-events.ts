import { AuditEventType, AuditOutcome, LoginFailureReason } from '../../../common';
import { DistinctCounter } from '../distinct-counter';
import type { Finding, ReviewEvent } from '../review.types';

const FAILURE_TYPES: ReadonlySet<string> = new Set<AuditEventType>([
  AuditEventType.LoginFail,
  AuditEventType.LoginFailMax,
]);
const SUCCESS_TYPES: ReadonlySet<string> = new Set<AuditEventType>([
  AuditEventType.LoginSuccess,
  AuditEventType.LoginSuccessAfterFail,
]);
/** Reasons of a failure whose credentials were really checked (API.md, the review's measures). */
const CHECKED_REASONS: ReadonlySet<string> = new Set<LoginFailureReason>([
  LoginFailureReason.BadPassword,
  LoginFailureReason.UnknownUser,
]);

/**
 * A checked credential that failed: `authn_login_fail` (or the `authn_login_fail_max` of the
 * failure that tripped a lock) with `bad_password` or `unknown_user`. Refused attempts
 * (`locked`, `throttled`, `ip_blocked`, `busy`, a disabled user, invalid input) are not
 * evidence of guessing: an attacker could otherwise make a victim's own lockout, or a flood
 * the service shed, count against the victim (issue 10, item 6).
 */
export function isFailedLogin(event: ReviewEvent): boolean {
  return (
    event.outcome === AuditOutcome.Failure &&
    FAILURE_TYPES.has(event.type) &&
    CHECKED_REASONS.has(event.reason ?? '')
  );
}

/** A failed password check on an account that exists (not an unknown name, not a refusal). */
export function isCredentialFailure(event: ReviewEvent): boolean {
  return isFailedLogin(event) && event.reason === LoginFailureReason.BadPassword;
}

/** A failed password check that names an existing account. */
export function isAccountFailure(event: ReviewEvent): boolean {
  return isCredentialFailure(event) && event.username !== undefined;
}

/** A failed login for a username that does not exist (enumeration, stuffing with stale lists). */
export function isUnknownUserFailure(event: ReviewEvent): boolean {
  return isFailedLogin(event) && event.reason === LoginFailureReason.UnknownUser;
}

/** A login that succeeded: `authn_login_success`, or `authn_login_successafterfail`. */
export function isSuccessfulLogin(event: ReviewEvent): boolean {
  return event.outcome === AuditOutcome.Success && SUCCESS_TYPES.has(event.type);
}

/**
 * A lock placed by the login path: `authn_login_fail_max`, or a refused attempt recorded as
 * `authn_login_lock`. Locks the review or an admin places are recorded with outcome `success`
 * and are not the attack's doing, so they are left out.
 */
export function isLoginLockout(event: ReviewEvent): boolean {
  return (
    event.outcome === AuditOutcome.Failure &&
    event.username !== undefined &&
    (event.type === AuditEventType.LoginFailMax || event.type === AuditEventType.LoginLock)
  );
}

const SAMPLE_LIMIT = 10;

/**
 * First and last time seen, and a few sample ids: the evidence every finding carries. One is
 * kept per subject (IP or account) by several detectors, so it is kept small: no event
 * strings, and the first sample in a field (most subjects are seen once or twice), the
 * others in an array made on the second.
 */
export class Span {
  first = Number.POSITIVE_INFINITY;
  last = Number.NEGATIVE_INFINITY;
  private sampleCount = 0;
  private firstSample = 0;
  private moreSamples: number[] | undefined;

  see(event: ReviewEvent): void {
    const time = event.time;
    if (time < this.first) this.first = time;
    if (time >= this.last) this.last = time;
    if (this.sampleCount === SAMPLE_LIMIT) return;
    if (this.sampleCount === 0) this.firstSample = event.id;
    else if (this.moreSamples === undefined) this.moreSamples = [event.id];
    else this.moreSamples.push(event.id);
    this.sampleCount += 1;
  }

  /** Takes in another span: its times, and its samples while there is room. */
  merge(other: Span): void {
    if (other.first < this.first) this.first = other.first;
    if (other.last > this.last) this.last = other.last;
    for (const id of other.samples) {
      if (this.sampleCount === SAMPLE_LIMIT) return;
      if (this.sampleCount === 0) this.firstSample = id;
      else if (this.moreSamples === undefined) this.moreSamples = [id];
      else this.moreSamples.push(id);
      this.sampleCount += 1;
    }
  }

  /** Up to 10 event ids, in the order seen. */
  get samples(): number[] {
    if (this.sampleCount === 0) return [];
    return this.moreSamples ? [this.firstSample, ...this.moreSamples] : [this.firstSample];
  }

  /** Normalised ISO text, so the database and file reviews report the same strings. */
  get firstSeen(): string {
    return new Date(this.first).toISOString();
  }

  get lastSeen(): string {
    return new Date(this.last).toISOString();
  }

  /** The fields every finding takes from its span. */
  seen(): Pick<Finding, 'firstSeen' | 'lastSeen' | 'sampleEventIds'> {
    return { firstSeen: this.firstSeen, lastSeen: this.lastSeen, sampleEventIds: this.samples };
  }
}

/**
 * What most detectors keep per subject (an IP, an account): how many matching events, how many
 * distinct values among them (IPs of an account, usernames of an IP), and when.
 */
export class Tally {
  count = 0;
  readonly distinct = new DistinctCounter();
  readonly span = new Span();

  see(event: ReviewEvent, value: string | undefined): void {
    this.count += 1;
    if (value !== undefined) this.distinct.add(value);
    this.span.see(event);
  }
}

/**
 * The IPs each user logged in from, up to `limit` per user: one string until there are two,
 * since most users have one IP and there is one entry per user of the window.
 */
export class LoginIps {
  private readonly ips = new Map<string, string | Set<string>>();

  constructor(private readonly limit: number) {}

  add(username: string, ip: string): void {
    const known = this.ips.get(username);
    if (known === undefined) this.ips.set(username, ip);
    else if (typeof known === 'string') {
      if (known !== ip) this.ips.set(username, new Set([known, ip]));
    } else if (known.size < this.limit) known.add(ip);
  }

  has(username: string, ip: string): boolean {
    const known = this.ips.get(username);
    return known === ip || (typeof known === 'object' && known.has(ip));
  }
}

/**
 * Map get-or-create, kept tiny because it runs once per event per detector: the per-subject
 * state of a detector is `entry(bySubject, event.ip, () => new Span())`.
 */
export function entry<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
