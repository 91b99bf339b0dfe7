import { AUDIT_EVENT_KEYS, type AuditEvent } from './audit-event';
import {
  AUDIT_STRING_LIMITS,
  sanitizeAuditEvent,
  sanitizeAuditString,
} from './audit-event.sanitizer';
import { AuditFileSink } from './audit-file.sink';

type EventWithoutId = Omit<AuditEvent, 'id'>;

function baseEvent(overrides: Partial<EventWithoutId> = {}): EventWithoutId {
  return {
    ts: '2026-01-31T23:00:00.000Z',
    type: 'authn_login_fail',
    level: 'WARN',
    outcome: 'failure',
    ip: '203.0.113.7',
    userAgent: 'curl/8.5',
    requestId: 'req-1',
    method: 'POST',
    path: '/auth/login',
    ...overrides,
  };
}

/** The file line of a sanitised event, as the sink writes it. */
function lineOf(event: EventWithoutId): string {
  return AuditFileSink.line({ id: 1, ...sanitizeAuditEvent(event) });
}

const codePoints = (value: string): number => Array.from(value).length;

// Anything a log reader, a terminal or a line-based shipper could take as the end of a line
// or as a control sequence.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('sanitizeAuditEvent: log-injection inputs stay one valid JSON line', () => {
  const injections: [string, string][] = [
    [
      'CR/LF with a forged event',
      'alice\r\n{"id":2,"type":"authn_login_success","username":"admin"}',
    ],
    ['a lone LF', 'alice\nINFO user admin logged in'],
    ['a quote-laden JSON fragment', 'alice","outcome":"success","level":"INFO","x":"'],
    ['ANSI escapes', 'alice\u001b[2K\u001b[1A\u001b[32mOK\u001b[0m'],
    ['NUL', 'alice\u0000admin'],
    ['U+2028 and U+2029', 'alice\u2028{"type":"forged"}\u2029'],
    ['C1 controls and DEL', 'alice\u0085\u009b31m\u007f'],
    ['bidi overrides (Trojan Source)', 'alice\u202e\u2066nimda\u2069'],
    ['a lone surrogate', 'alice\ud800x'],
    ['backslashes', 'alice\\n\\u000a\\'],
  ];

  it.each(injections)('%s in every string field', (_name, hostile) => {
    const event = baseEvent({
      username: hostile,
      userId: hostile,
      reason: hostile,
      ip: hostile,
      userAgent: hostile,
      requestId: hostile,
      method: hostile,
      path: hostile,
      details: { [hostile]: hostile, nested: [{ value: hostile }] },
    });
    const line = lineOf(event);

    expect(line.split('\n')).toHaveLength(1);
    expect(line).not.toMatch(LINE_BREAKING);
    const parsed = JSON.parse(line) as AuditEvent;
    // The hostile text cannot add or change a field: the keys and fixed values are ours.
    expect(Object.keys(parsed)).toEqual(AUDIT_EVENT_KEYS.filter((key) => key !== 'sessionRef'));
    expect(parsed.type).toBe('authn_login_fail');
    expect(parsed.outcome).toBe('failure');
    for (const value of [
      parsed.username,
      parsed.userAgent,
      parsed.path,
      JSON.stringify(parsed.details),
    ]) {
      expect(value).not.toMatch(LINE_BREAKING);
    }
  });

  it('escapes controls as visible \\uXXXX text, keeping the rest as sent', () => {
    expect(sanitizeAuditString('a\r\nb\u0000c\u001bd\u2028e', 100)).toBe(
      'a\\u000d\\u000ab\\u0000c\\u001bd\\u2028e',
    );
    expect(sanitizeAuditString('Ｊöhn 👩‍💻 "quoted"', 100)).toBe('Ｊöhn 👩‍💻 "quoted"');
    expect(sanitizeAuditString('x\ud800y\udc00', 100)).toBe('x\ufffdy\ufffd');
  });

  it('bounds an 8 KB user agent to 256 code points, and a username to 128', () => {
    const userAgent = `Mozilla/5.0 ${'A'.repeat(8 * 1024)}\r\n\u001b[31m`;
    const clean = sanitizeAuditEvent(baseEvent({ userAgent, username: 'u'.repeat(5000) }));
    expect(codePoints(clean.userAgent)).toBe(AUDIT_STRING_LIMITS.userAgent);
    expect(clean.userAgent.endsWith('…')).toBe(true);
    expect(codePoints(clean.username ?? '')).toBe(AUDIT_STRING_LIMITS.username);
    const line = lineOf(baseEvent({ userAgent }));
    expect(line.split('\n')).toHaveLength(1);
    expect(line.length).toBeLessThan(1024);
  });

  it('counts code points, not UTF-16 units, and never cuts an escape or a surrogate pair in half', () => {
    expect(sanitizeAuditString('😀'.repeat(10), 10)).toBe('😀'.repeat(10));
    expect(sanitizeAuditString('😀'.repeat(11), 10)).toBe(`${'😀'.repeat(9)}…`);
    for (let limit = 2; limit <= 12; limit++) {
      const cut = sanitizeAuditString(`ab${'\n'.repeat(10)}`, limit);
      expect(codePoints(cut)).toBeLessThanOrEqual(limit);
      expect(cut).toMatch(/^ab(\\u000a)*…$|^a…$/);
    }
  });

  it('bounds details in depth, breadth and string length, and drops what has no JSON form', () => {
    const deep = { a: { b: { c: { d: { e: 1 } } } } };
    const wide = Object.fromEntries(Array.from({ length: 80 }, (_, index) => [`k${index}`, index]));
    const clean = sanitizeAuditEvent(
      baseEvent({
        details: {
          deep,
          wide,
          list: Array.from({ length: 80 }, (_, index) => index),
          long: 'x'.repeat(5000),
          when: new Date('2026-01-01T00:00:00Z'),
          nothing: undefined,
          fn: () => 1,
          big: 10n,
          nan: Number.NaN,
        },
      }),
    );
    const details = clean.details as Record<string, unknown>;
    expect(details.deep).toEqual({ a: { b: '[nested]' } });
    expect(Object.keys(details.wide as object)).toHaveLength(50);
    expect(details.list).toHaveLength(50);
    expect(codePoints(details.long as string)).toBe(AUDIT_STRING_LIMITS.detail);
    expect(details.when).toBe('2026-01-01T00:00:00.000Z');
    expect(details.nan).toBeNull();
    expect(Object.keys(details)).not.toEqual(expect.arrayContaining(['nothing', 'fn', 'big']));
  });

  it('writes ts as exact ISO-8601 UTC, so text order in the table is time order', () => {
    expect(sanitizeAuditEvent(baseEvent({ ts: '2026-01-31T23:00:00+01:00' })).ts).toBe(
      '2026-01-31T22:00:00.000Z',
    );
    const before = Date.now();
    const fallback = Date.parse(sanitizeAuditEvent(baseEvent({ ts: 'not a time' })).ts);
    expect(fallback).toBeGreaterThanOrEqual(before);
  });

  it('leaves absent optionals absent', () => {
    const clean = sanitizeAuditEvent(baseEvent());
    expect(Object.keys(clean)).toEqual([
      'ts',
      'type',
      'level',
      'outcome',
      'ip',
      'userAgent',
      'requestId',
      'method',
      'path',
    ]);
  });
});
