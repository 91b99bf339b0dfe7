import type { AuditEvent } from '../audit';
import type { AuditSink } from '../audit';

/** How the contract drives a sink: make a fresh one, then read back what it kept. */
export interface AuditSinkHarness<S extends AuditSink = AuditSink> {
  create(): Promise<S>;
  /** Everything the sink delivered, in order (flush/close the sink first if it buffers). */
  received(sink: S): Promise<AuditEvent[]>;
  /** Releases the sink (close files, connections); optional. */
  dispose?(sink: S): Promise<void>;
}

/** A failed login as AuditService records it, without its id: the specs' base event. */
export function failedLoginFields(
  overrides: Partial<Omit<AuditEvent, 'id'>> = {},
): Omit<AuditEvent, 'id'> {
  return {
    ts: '2026-01-31T23:00:00.000Z',
    type: 'authn_login_fail',
    level: 'WARN',
    outcome: 'failure',
    username: 'alice',
    reason: 'bad_password',
    ip: '203.0.113.7',
    userAgent: 'curl/8.5',
    requestId: 'req-1',
    method: 'POST',
    path: '/auth/login',
    ...overrides,
  };
}

/** A full event (every optional key set), as AuditService hands it to the sinks. */
export function sampleAuditEvent(id: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id,
    ts: new Date(Date.UTC(2026, 0, 31, 23, 0, 0, id)).toISOString(),
    type: 'authn_login_fail',
    level: 'WARN',
    outcome: 'failure',
    username: 'alice',
    userId: 'user-1',
    reason: 'bad_password',
    ip: '203.0.113.7',
    userAgent: 'curl/8.5',
    requestId: `req-${id}`,
    method: 'POST',
    path: '/auth/login',
    sessionRef: 'ref',
    details: { attempt: id },
    ...overrides,
  };
}

/**
 * The semantics every `AuditSink` must have, as a Jest suite: call it inside a `describe` of
 * your own spec. It uses Jest's globals only when called, never at import time.
 */
export function behavesAsAuditSink<S extends AuditSink>(harness: AuditSinkHarness<S>): void {
  let sink: S;

  beforeEach(async () => {
    sink = await harness.create();
  });

  afterEach(async () => {
    await harness.dispose?.(sink);
  });

  it('has a non-empty name and reports itself healthy when it starts', () => {
    expect(typeof sink.name).toBe('string');
    expect(sink.name.length).toBeGreaterThan(0);
    expect(sink.isHealthy()).toBe(true);
  });

  it('delivers every event, unchanged and in the order written', async () => {
    const events = [
      sampleAuditEvent(1),
      sampleAuditEvent(2, { username: undefined, userId: undefined, details: undefined }),
      sampleAuditEvent(3, { type: 'authn_login_success', level: 'INFO', outcome: 'success' }),
    ];
    for (const event of events) await sink.write(event);
    const received = await harness.received(sink);
    expect(received.map((event) => event.id)).toEqual([1, 2, 3]);
    expect(received[0]).toEqual(events[0]);
    expect(received[2]).toEqual(events[2]);
  });

  it('does not keep a reference the caller can change after the write', async () => {
    const event = sampleAuditEvent(7);
    await sink.write(event);
    event.username = 'mallory';
    const [received] = await harness.received(sink);
    expect(received.username).toBe('alice');
  });
}
