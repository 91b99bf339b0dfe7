import { Injectable, Logger } from '@nestjs/common';
import {
  FailureOutcome,
  FailurePolicy,
  GrantedReservation,
  KyselyThrottleStore,
  Reservation,
  ReservationRequest,
  SubjectReservation,
  ThrottleCounter,
  ThrottleStore,
  ThrottleSubject,
} from '../auth';
import { DomainError } from '../common';
import { RedisOutage } from './redis-outage';
import { RedisConnections } from './redis.connections';
import {
  CLEAR_USERNAME_SCRIPT,
  PURGE_SCRIPT,
  READ_SCRIPT,
  RECORD_FAILURE_SCRIPT,
  RELEASE_SCRIPT,
  RESERVE_SCRIPT,
  RESET_PAIR_SCRIPT,
} from './redis-throttle.scripts';

/**
 * Key of one counter (under the connection's key prefix). A pair is JSON, so the username part
 * is delimited without ambiguity whatever characters it holds.
 */
function counterKey(subject: ThrottleSubject): string {
  switch (subject.kind) {
    case 'pair':
      return `throttle:pair:${JSON.stringify([subject.username, subject.ip])}`;
    case 'user':
      return `throttle:user:${subject.username}`;
    case 'ip':
      return `throttle:ip:${subject.ip}`;
  }
}

/** The set of pair counter keys of one username, so an admin unlock finds them all. */
function pairIndexKey(username: string): string {
  return `throttle:pairs-of:${username}`;
}

function counterFrom(values: readonly number[], offset = 0): ThrottleCounter | undefined {
  const [failures, windowStartedAt, lockedUntil, lockCount] = values.slice(offset, offset + 4);
  if (windowStartedAt === -1) return undefined;
  return {
    failures,
    windowStartedAt,
    lockedUntil: lockedUntil === -1 ? null : lockedUntil,
    lockCount,
  };
}

/** Of two counters of one subject, the one whose lock ends later (a lock is never lifted by a merge). */
function laterLock(
  first: ThrottleCounter | undefined,
  second: ThrottleCounter | undefined,
): ThrottleCounter | undefined {
  if (first === undefined || second === undefined) return first ?? second;
  return (second.lockedUntil ?? -1) > (first.lockedUntil ?? -1) ? second : first;
}

function flatCounter(counter: ThrottleCounter | undefined): number[] {
  if (counter === undefined) return [-1, -1, -1, -1];
  return [counter.failures, counter.windowStartedAt, counter.lockedUntil ?? -1, counter.lockCount];
}

function integers(reply: unknown): number[] {
  if (!Array.isArray(reply) || !reply.every((value) => typeof value === 'number')) {
    throw new TypeError('Unexpected reply from a throttle script');
  }
  return reply;
}

/**
 * The login throttle in Redis, for several instances: each operation is one Lua script, so
 * concurrent failures from every instance are counted exactly once and exactly one of them
 * takes the lock (the same FailurePolicy as the database store).
 *
 * Safe mode: when Redis fails (down, timing out), the operation goes to the database store
 * instead, with one warning per outage, so logins keep working and limits keep holding
 * (shared by every instance through the database). When Redis returns, counting goes back to
 * it, but a lock placed in the database during the outage keeps holding: for as long as such a
 * lock can matter, `read` also looks at the database and the later lock wins.
 *
 * The IPs that have logged into a username are durable facts, not counters: they always live
 * in the database (one write per successful login).
 */
@Injectable()
export class RedisThrottleStore extends ThrottleStore {
  private readonly outage = new RedisOutage(new Logger('LoginThrottle'), 'Login throttle');
  /** Until then, counters written to the database during an outage may still hold a lock. */
  private databaseCountersMatterUntil = 0;

  constructor(
    private readonly redis: RedisConnections,
    /** The database store, bound by LoginThrottleModule: the counters while Redis is down. */
    private readonly fallback: KyselyThrottleStore,
  ) {
    super();
    redis.client.on('ready', () => this.outage.retryNow());
  }

  read(subjects: readonly ThrottleSubject[]): Promise<(ThrottleCounter | undefined)[]> {
    if (subjects.length === 0) return Promise.resolve([]);
    return this.withFallback(
      async () => {
        const values = integers(
          await READ_SCRIPT.run(this.redis.client, subjects.map(counterKey), []),
        );
        const inRedis = subjects.map((_, index) => counterFrom(values, index * 4));
        if (Date.now() >= this.databaseCountersMatterUntil) return inRedis;
        const inDatabase = await this.fallback.read(subjects);
        return inRedis.map((counter, index) => laterLock(counter, inDatabase[index]));
      },
      (store) => store.read(subjects),
    );
  }

  recordFailure(
    subject: ThrottleSubject,
    policy: FailurePolicy,
    now: number,
  ): Promise<FailureOutcome> {
    if (policy.lockDurationsMs.length === 0) {
      return Promise.reject(new Error('A failure policy needs at least one lock duration'));
    }
    const keys = [counterKey(subject)];
    if (subject.kind === 'pair') keys.push(pairIndexKey(subject.username));
    return this.withFallback(
      async () => {
        const reply = integers(
          await RECORD_FAILURE_SCRIPT.run(this.redis.client, keys, [
            Math.trunc(now),
            policy.maxFailures,
            policy.windowMs,
            ...policy.lockDurationsMs.map(Math.trunc),
          ]),
        );
        if (reply[0] === 0) return { counted: false, lockedNow: false };
        return { counted: true, lockedNow: reply[1] === 1, counter: counterFrom(reply, 2) };
      },
      (store) => {
        // A counter in the database stops mattering a window after its longest lock ends.
        const mattersUntil = now + Math.max(...policy.lockDurationsMs) + policy.windowMs;
        this.databaseCountersMatterUntil = Math.max(this.databaseCountersMatterUntil, mattersUntil);
        return store.recordFailure(subject, policy, now);
      },
    );
  }

  /**
   * One script for the whole reservation. A lock placed in the database during an outage still
   * refuses: while such locks can matter, they are read first.
   */
  reserve(requests: readonly ReservationRequest[], now: number): Promise<Reservation> {
    if (requests.some((request) => request.policy.lockDurationsMs.length === 0)) {
      return Promise.reject(new Error('A failure policy needs at least one lock duration'));
    }
    return this.withFallback(
      async () => {
        if (Date.now() < this.databaseCountersMatterUntil) {
          const inDatabase = await this.fallback.read(requests.map((request) => request.subject));
          const lockedUntil = requests.map((request, index) => {
            const end = inDatabase[index]?.lockedUntil;
            return !request.lockIgnored && end != null && end > now ? end : undefined;
          });
          if (lockedUntil.some((end) => end !== undefined)) return { granted: false, lockedUntil };
        }
        const keys = requests.map((request) => counterKey(request.subject));
        const args: number[] = [Math.trunc(now), requests.length];
        for (const request of requests) {
          let indexPosition = 0;
          if (request.subject.kind === 'pair') {
            keys.push(pairIndexKey(request.subject.username));
            indexPosition = keys.length;
          }
          const durations = request.policy.lockDurationsMs.map(Math.trunc);
          args.push(
            request.lockIgnored ? 1 : 0,
            indexPosition,
            request.policy.maxFailures,
            request.policy.windowMs,
            durations.length,
            ...durations,
          );
        }
        const reply = integers(await RESERVE_SCRIPT.run(this.redis.client, keys, args));
        if (reply[0] === 0) {
          return {
            granted: false,
            lockedUntil: reply.slice(1).map((end) => (end === -1 ? undefined : end)),
          };
        }
        const subjects = requests.map((_, index): SubjectReservation => {
          const offset = 1 + index * 10;
          return {
            counted: reply[offset] === 1,
            lockedNow: reply[offset + 1] === 1,
            before: counterFrom(reply, offset + 2),
            after: counterFrom(reply, offset + 6),
          };
        });
        return { granted: true, subjects };
      },
      async (store) => {
        const reservation = await store.reserve(requests, now);
        if (!reservation.granted) return reservation;
        this.noteDatabaseCounters(
          requests.map((request) => request.policy),
          now,
        );
        return { ...reservation, via: 'fallback' as const };
      },
    );
  }

  /** Settles where the reservation was taken: Redis, or the database during an outage. */
  async release(
    requests: readonly ReservationRequest[],
    reservation: GrantedReservation,
  ): Promise<void> {
    if (reservation.via === 'fallback') return this.fallback.release(requests, reservation);
    const args: number[] = [Date.now(), requests.length];
    for (const [index, request] of requests.entries()) {
      const reserved = reservation.subjects[index];
      args.push(
        request.policy.windowMs,
        reserved.counted ? 1 : 0,
        reserved.lockedNow ? 1 : 0,
        ...flatCounter(reserved.before),
        ...flatCounter(reserved.after),
      );
    }
    try {
      await RELEASE_SCRIPT.run(
        this.redis.client,
        requests.map((request) => counterKey(request.subject)),
        args,
      );
      this.outage.succeeded();
    } catch (error) {
      // The advance count stays: a release lost to an outage errs towards a lock.
      this.outage.failed(error);
    }
  }

  private noteDatabaseCounters(policies: readonly FailurePolicy[], now: number): void {
    for (const policy of policies) {
      // A counter in the database stops mattering a window after its longest lock ends.
      const mattersUntil = now + Math.max(...policy.lockDurationsMs) + policy.windowMs;
      this.databaseCountersMatterUntil = Math.max(this.databaseCountersMatterUntil, mattersUntil);
    }
  }

  resetPair(username: string, ip: string): Promise<ThrottleCounter | undefined> {
    return this.withFallback(
      async () => {
        const keys = [counterKey({ kind: 'pair', username, ip }), pairIndexKey(username)];
        const inRedis = counterFrom(
          integers(await RESET_PAIR_SCRIPT.run(this.redis.client, keys, [])),
        );
        if (Date.now() >= this.databaseCountersMatterUntil) return inRedis;
        const inDatabase = await this.fallback.resetPair(username, ip);
        return laterLock(inRedis, inDatabase);
      },
      (store) => store.resetPair(username, ip),
    );
  }

  rememberKnownIp(username: string, ip: string, now: number): Promise<void> {
    return this.fallback.rememberKnownIp(username, ip, now);
  }

  isKnownIp(username: string, ip: string): Promise<boolean> {
    return this.fallback.isKnownIp(username, ip);
  }

  /**
   * An admin unlock must hold everywhere: the Redis counters and any left in the database by an
   * outage. Without Redis it cannot be done, and says so (503) rather than pretend.
   */
  async clearUsername(username: string): Promise<void> {
    await this.fallback.clearUsername(username);
    try {
      await CLEAR_USERNAME_SCRIPT.run(
        this.redis.client,
        [counterKey({ kind: 'user', username }), pairIndexKey(username)],
        [],
      );
    } catch (error) {
      this.outage.failed(error);
      throw new DomainError('SERVICE_UNAVAILABLE', 'Service unavailable', {
        retryAfterSeconds: 5,
      });
    }
  }

  /**
   * Counters in Redis also expire by themselves once they cannot matter; this sweep applies the
   * store's exact rule (with the caller's clock), and the database loses what outages left.
   */
  async purgeStale(windowMs: number, now: number): Promise<number> {
    const inDatabase = await this.fallback.purgeStale(windowMs, now);
    let inRedis = 0;
    try {
      inRedis = await this.purgeRedis(now - windowMs);
      this.outage.succeeded();
    } catch (error) {
      this.outage.failed(error);
    }
    return inDatabase + inRedis;
  }

  private async purgeRedis(cutoff: number): Promise<number> {
    const client = this.redis.client;
    // SCAN patterns are not prefixed by the client; the prefix may hold glob characters.
    const pattern = `${this.redis.keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}throttle:*`;
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) {
        deleted += Number(await PURGE_SCRIPT.run(client, [], [Math.trunc(cutoff), ...keys]));
      }
    } while (cursor !== '0');
    return deleted;
  }

  private async withFallback<T>(
    inRedis: () => Promise<T>,
    inDatabase: (store: ThrottleStore) => Promise<T>,
  ): Promise<T> {
    if (!this.outage.shouldTry()) return inDatabase(this.fallback);
    let result: T;
    try {
      result = await inRedis();
    } catch (error) {
      this.outage.failed(error);
      return inDatabase(this.fallback);
    }
    this.outage.succeeded();
    return result;
  }
}
