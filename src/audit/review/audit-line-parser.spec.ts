import { seededRandom } from '../../../test/support/review-events';
import { AuditLineParser } from './audit-line-parser';
import { reviewEventFrom } from './review-engine';

/** What the review read from a line before the scanner: the whole line through JSON.parse. */
function reference(line: string): unknown {
  try {
    return reviewEventFrom(JSON.parse(line)) ?? 'no event';
  } catch {
    return 'no event';
  }
}

/** One parser, as the reader keeps one per review (its intern table is a few MB). */
const parser = new AuditLineParser();

function parse(line: string): unknown {
  // Inside a larger text, as the reader calls it.
  const text = `xx\n${line}\nyy`;
  parser.setText(text);
  const event = parser.parse(3, 3 + line.length);
  return typeof event === 'string' ? 'no event' : event;
}

const base = {
  id: 41,
  ts: '2026-01-31T08:00:01.250Z',
  type: 'authn_login_fail',
  level: 'WARN',
  outcome: 'failure',
  username: 'alice',
  reason: 'bad_password',
  ip: '203.0.113.9',
  userAgent: 'test-agent/1.0',
  requestId: 'req-41',
  method: 'POST',
  path: '/auth/login',
};

describe('AuditLineParser', () => {
  it.each([
    ['a line as the file sink writes it', JSON.stringify(base)],
    [
      'keys in another order, spaces',
      JSON.stringify(base, Object.keys(base).reverse(), 1).replace(/\n/g, ' '),
    ],
    [
      'escapes in values',
      JSON.stringify({ ...base, username: 'al"ice\\\u00e9\n', path: '/a\u2028b' }),
    ],
    ['an escaped key', JSON.stringify(base).replace('"username"', '"user\\u006eame"')],
    ['null username and reason', JSON.stringify({ ...base, username: null, reason: null })],
    ['nested details', JSON.stringify({ ...base, details: { runId: 'x', list: [1, { a: '}' }] } })],
    ['a non-canonical ts', JSON.stringify({ ...base, ts: '2026-01-31T09:00:01+01:00' })],
    ['an impossible canonical ts', JSON.stringify({ ...base, ts: '2026-13-31T08:00:01.250Z' })],
    ['an id as text', JSON.stringify({ ...base, id: '42' })],
    ['an id with a fraction', JSON.stringify({ ...base, id: 4.5 })],
    ['an id of true', JSON.stringify({ ...base, id: true })],
    ['a number for the ip', JSON.stringify({ ...base, ip: 7 })],
    ['no type', JSON.stringify({ ...base, type: undefined })],
    ['a duplicate key', JSON.stringify(base).replace('"ip":', '"ip":"198.51.100.1","ip":')],
    ['unicode names', JSON.stringify({ ...base, username: 'zoë-名前' })],
    ['a torn line', JSON.stringify(base).slice(0, 90)],
    ['trailing garbage', `${JSON.stringify(base)} x`],
    ['a bad number elsewhere', JSON.stringify(base).replace('"level":"WARN"', '"level":01')],
    ['not JSON', 'GET /health 200'],
    ['an array', '[1,2,3]'],
    ['an empty object', '{}'],
  ])('reads %s exactly as JSON.parse did', (_name, line) => {
    expect(parse(line)).toEqual(reference(line));
  });

  it('agrees with JSON.parse on thousands of generated and mutated lines', () => {
    const random = seededRandom(16);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const values = [
      null,
      true,
      0,
      -1.5e3,
      '',
      'x',
      'a"b',
      'é',
      '\\',
      { a: [1] },
      [],
      'user1',
      '10.0.0.1',
    ];
    const keys = Object.keys(base);
    const differences: { line: string; event: unknown; expected: unknown }[] = [];
    for (let i = 0; i < 10000; i += 1) {
      const record: Record<string, unknown> = { ...base, id: i };
      for (let k = Math.floor(random() * 3); k > 0; k -= 1) record[pick(keys)] = pick(values);
      let line = JSON.stringify(record);
      if (random() < 0.2) {
        // A damaged byte: a torn, doubled or replaced character.
        const at = Math.floor(random() * line.length);
        line = line.slice(0, at) + pick(['', '"', '}', ',', ' ', '\\', 'x']) + line.slice(at + 1);
      }
      const event = parse(line);
      const expected = reference(line);
      if (JSON.stringify(event) !== JSON.stringify(expected))
        differences.push({ line, event, expected });
    }
    expect(differences).toEqual([]);
  });

  it('shares one string per distinct name and IP', () => {
    const parser = new AuditLineParser();
    const line = JSON.stringify(base);
    parser.setText(`${line}\n${line}`);
    const first = parser.parse(0, line.length);
    const second = parser.parse(line.length + 1, 2 * line.length + 1);
    expect(first).toEqual(second);
    expect(typeof first === 'object' && typeof second === 'object').toBe(true);
  });
});
