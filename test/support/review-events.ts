import type { AuditEvent } from '../../src/audit/audit-event';
import type { ReviewEvent } from '../../src/audit/review/review.types';
import type { Kysely } from 'kysely';
import type { DB } from '../../src/database';

export interface EventSpec {
  type: string;
  outcome: 'success' | 'failure';
  username?: string;
  reason?: string;
  ip: string;
  /** Milliseconds after the previous event (default 1000). */
  after?: number;
  path?: string;
  /** Default `test-agent/1.0`. */
  userAgent?: string;
}

/**
 * Synthetic audit traffic for the review's tests: ids and times grow like the real trail.
 * The same events feed the detectors directly, the database (`toAuditEvents`) and files.
 */
export class EventScript {
  readonly events: ReviewEvent[] = [];
  private nextId = 1;
  time: number;

  constructor(start = '2026-01-31T08:00:00.000Z') {
    this.time = Date.parse(start);
  }

  add(spec: EventSpec): ReviewEvent {
    this.time += spec.after ?? 1000;
    const event: ReviewEvent = {
      id: this.nextId++,
      ts: new Date(this.time).toISOString(),
      time: this.time,
      type: spec.type,
      outcome: spec.outcome,
      username: spec.username,
      reason: spec.reason,
      ip: spec.ip,
      userAgent: spec.userAgent ?? 'test-agent/1.0',
      method: 'POST',
      path: spec.path ?? '/auth/login',
    };
    this.events.push(event);
    return event;
  }

  fail(username: string, ip: string, reason = 'bad_password', after?: number): ReviewEvent {
    return this.add({ type: 'authn_login_fail', outcome: 'failure', username, reason, ip, after });
  }

  succeed(username: string, ip: string, after?: number): ReviewEvent {
    return this.add({ type: 'authn_login_success', outcome: 'success', username, ip, after });
  }

  lock(username: string, ip: string, after?: number): ReviewEvent {
    return this.add({
      type: 'authn_login_fail_max',
      outcome: 'failure',
      username,
      reason: 'bad_password',
      ip,
      after,
    });
  }

  reuse(username: string, ip: string, after?: number): ReviewEvent {
    return this.add({
      type: 'authn_token_reuse',
      outcome: 'failure',
      username,
      ip,
      after,
      path: '/auth/refresh',
    });
  }

  refresh(username: string, ip: string, after?: number): ReviewEvent {
    return this.add({
      type: 'authn_token_refreshed',
      outcome: 'success',
      username,
      ip,
      after,
      path: '/auth/refresh',
    });
  }

  /** Pages, as the database review reads them. */
  async *pages(size = 500): AsyncGenerator<ReviewEvent[]> {
    for (let i = 0; i < this.events.length; i += size) yield this.events.slice(i, i + size);
  }

  get window(): { from: string; to: string } {
    return {
      from: this.events[0]?.ts ?? new Date(this.time).toISOString(),
      to: new Date(this.time + 1).toISOString(),
    };
  }
}

/** The events as `AuditRepository.insert` takes them (ids come from the table). */
export function toAuditEvents(events: ReviewEvent[]): Omit<AuditEvent, 'id'>[] {
  return events.map((event) => {
    const row: Omit<AuditEvent, 'id'> = {
      ts: event.ts,
      type: event.type as AuditEvent['type'],
      level: event.outcome === 'failure' ? 'WARN' : 'INFO',
      outcome: event.outcome as AuditEvent['outcome'],
      ip: event.ip,
      userAgent: event.userAgent,
      requestId: `req-${event.id}`,
      method: event.method,
      path: event.path,
    };
    if (event.username !== undefined) row.username = event.username;
    if (event.reason !== undefined) row.reason = event.reason;
    return row;
  });
}

/** Deterministic pseudo-random numbers, so a failing benign day can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A normal day: `logins` successful logins by `users` users over 24 hours. Users sit behind
 * 20 shared office IPs or log in from home; a few mistype their password (at most three times)
 * or their username first, refresh their tokens, and one forgets the password and gets locked.
 */
export function benignDay(script: EventScript, users = 500, logins = 10_000, seed = 42): void {
  const random = seededRandom(seed);
  const ipOf = (user: number): string =>
    user % 3 === 0 ? `198.51.100.${user % 250}` : `10.20.${user % 20}.1`;
  // About 1.4 events per login (typos, refreshes): the day fits in 24 hours.
  const step = Math.floor((24 * 3600 * 1000) / (logins * 1.45));
  for (let i = 0; i < logins; i += 1) {
    const user = Math.floor(random() * users);
    const name = `user${user}`;
    const ip = ipOf(user);
    const roll = random();
    if (roll < 0.04) {
      const typos = 1 + Math.floor(random() * 3);
      for (let t = 0; t < typos; t += 1) script.fail(name, ip, 'bad_password', step);
    } else if (roll < 0.05) {
      script.fail(`${name}x`, ip, 'unknown_user', step);
    }
    script.succeed(name, ip, step);
    if (random() < 0.3) script.refresh(name, ip, step);
  }
  // One user forgot the password: five failures, a pair lock, and no success today.
  for (let t = 0; t < 5; t += 1) script.fail('forgetful', '203.0.113.77', 'bad_password', 60_000);
  script.lock('forgetful', '203.0.113.77', 1000);
}

/** Stores synthetic events as real `audit_events` rows (ids come from the table, in order). */
export async function storeReviewEvents(db: Kysely<DB>, events: ReviewEvent[]): Promise<void> {
  const rows = toAuditEvents(events).map((event) => ({
    ts: event.ts,
    type: event.type,
    level: event.level,
    outcome: event.outcome,
    username: event.username ?? null,
    user_id: null,
    reason: event.reason ?? null,
    ip: event.ip,
    user_agent: event.userAgent,
    request_id: event.requestId,
    method: event.method,
    path: event.path,
    session_ref: null,
    details: null,
  }));
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('audit_events')
      .values(rows.slice(i, i + 500))
      .execute();
}
