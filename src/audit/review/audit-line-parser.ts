import { reviewEventFrom } from './review-engine';
import type { ReviewEvent } from './review.types';

/** Why a line of an audit file gave no event. */
export type BadLineKind = 'oversized' | 'not-utf8' | 'not-json' | 'torn' | 'not-an-event';

/** Distinct strings the intern table holds before it starts over (bounds its memory). */
const INTERNED_LIMIT = 1 << 17;

/** Field codes of the keys the review reads; every other key is skipped unread. */
const enum Field {
  Skip,
  Id,
  Ts,
  Type,
  Outcome,
  Username,
  Reason,
  Ip,
  UserAgent,
  Method,
  Path,
}

/** A value the fast path does not take (a number where a string is expected, …): JSON.parse decides. */
const SLOW = -2;

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function fieldOf(text: string, start: number, end: number): Field {
  switch (end - start) {
    case 2: {
      const a = text.charCodeAt(start);
      const b = text.charCodeAt(start + 1);
      if (a === 105 /* i */) return b === 100 ? Field.Id : b === 112 ? Field.Ip : Field.Skip;
      return a === 116 /* t */ && b === 115 /* s */ ? Field.Ts : Field.Skip;
    }
    case 4:
      if (text.startsWith('type', start)) return Field.Type;
      return text.startsWith('path', start) ? Field.Path : Field.Skip;
    case 6:
      if (text.startsWith('reason', start)) return Field.Reason;
      return text.startsWith('method', start) ? Field.Method : Field.Skip;
    case 7:
      return text.startsWith('outcome', start) ? Field.Outcome : Field.Skip;
    case 8:
      return text.startsWith('username', start) ? Field.Username : Field.Skip;
    case 9:
      return text.startsWith('userAgent', start) ? Field.UserAgent : Field.Skip;
    default:
      return Field.Skip;
  }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 10;
}

/**
 * Reads the review fields of JSON audit lines without `JSON.parse` of the whole line: the
 * lines are scanned once, the values of the ten keys the detectors read are cut out, and
 * every other value is skipped (strings by `indexOf`, so at native speed). Whatever the
 * fast path does not expect (escapes in a key, a number where text belongs, nested values,
 * duplicate keys of an odd type) goes to `JSON.parse` and `reviewEventFrom`, so a line gives
 * exactly the event it gave before, or none.
 *
 * Strings that detectors keep (names, IPs, types) are interned: equal values share one
 * string, whose hash V8 computes once, and no kept string is a slice that would pin a
 * whole chunk of the file in memory.
 */
export class AuditLineParser {
  private text = '';
  /** Position of the next backslash in `text` at or after the last asked position. */
  private nextEscape = -1;
  /** Open-addressing table of interned strings, found by a hash of the text's characters. */
  private internedHashes = new Int32Array(INTERNED_LIMIT * 2);
  private internedValues: (string | undefined)[] = new Array<string | undefined>(
    INTERNED_LIMIT * 2,
  );
  private internedCount = 0;
  /** The hour of the last `ts` read, and its epoch milliseconds. */
  private hourText = '\u0000';
  private hourMs = Number.NaN;

  /** The text the next `parse` calls cut lines from (a chunk of whole lines). */
  setText(text: string): void {
    this.text = text;
    this.nextEscape = -1;
    this.findEscape(0);
  }

  /** The event of `text[start, end)` (one line, without its newline), or why there is none. */
  parse(start: number, end: number): ReviewEvent | BadLineKind {
    try {
      return this.fast(start, end) ?? this.slow(start, end);
    } catch {
      return this.slow(start, end);
    }
  }

  private slow(start: number, end: number): ReviewEvent | BadLineKind {
    const line = this.text.slice(start, end);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return line.trimStart().startsWith('{') ? 'torn' : 'not-json';
    }
    const event = reviewEventFrom(value);
    if (event === undefined) return 'not-an-event';
    event.type = this.intern(event.type);
    event.outcome = this.intern(event.outcome);
    event.ip = this.intern(event.ip);
    if (event.username !== undefined) event.username = this.intern(event.username);
    if (event.reason !== undefined) event.reason = this.intern(event.reason);
    event.userAgent = this.intern(event.userAgent);
    return event;
  }

  /** The event, a bad kind, or undefined when the line needs the slow path. */
  private fast(start: number, end: number): ReviewEvent | BadLineKind | undefined {
    const text = this.text;
    let p = this.space(start, end);
    if (text.charCodeAt(p) !== 123 /* { */) return undefined;
    p = this.space(p + 1, end);
    let id = Number.NaN;
    let ts: string | undefined;
    let type: string | undefined;
    let outcome = '';
    let username: string | undefined;
    let reason: string | undefined;
    let ip = '';
    let userAgent = '';
    let method = '';
    let path = '';
    if (text.charCodeAt(p) === 125 /* } */) return undefined;
    for (;;) {
      if (text.charCodeAt(p) !== 34 /* " */) return undefined;
      const keyEnd = this.stringEnd(p + 1, end);
      if (keyEnd < 0 || this.escapeAt(p + 1) < keyEnd) return undefined;
      const field = fieldOf(text, p + 1, keyEnd);
      p = this.space(keyEnd + 1, end);
      if (text.charCodeAt(p) !== 58 /* : */) return undefined;
      p = this.space(p + 1, end);
      const code = text.charCodeAt(p);
      if (field === Field.Skip) {
        p = this.skipValue(p, end);
        if (p < 0) return undefined;
      } else if (field === Field.Id) {
        let q = p;
        let value = 0;
        while (q < end) {
          const digit = text.charCodeAt(q) - 48;
          if (digit < 0 || digit > 9) break;
          value = value * 10 + digit;
          q += 1;
        }
        // Plain digits (no sign, fraction or leading zero) only; anything else is the slow path's.
        if (q === p || q - p > 15 || (code === 48 && q - p > 1)) return undefined;
        id = value;
        p = q;
      } else if (code === 34) {
        const valueEnd = this.stringEnd(p + 1, end);
        if (valueEnd < 0) return undefined;
        let value: string;
        if (this.escapeAt(p + 1) < valueEnd)
          value = this.intern(JSON.parse(text.slice(p, valueEnd + 1)) as string);
        else if (field === Field.Ts) value = text.slice(p + 1, valueEnd);
        else value = this.internText(p + 1, valueEnd);
        p = valueEnd + 1;
        switch (field) {
          case Field.Ts:
            ts = value;
            break;
          case Field.Type:
            type = value;
            break;
          case Field.Outcome:
            outcome = value;
            break;
          case Field.Username:
            username = value;
            break;
          case Field.Reason:
            reason = value;
            break;
          case Field.Ip:
            ip = value;
            break;
          case Field.UserAgent:
            userAgent = value;
            break;
          case Field.Method:
            method = value;
            break;
          default:
            path = value;
        }
      } else if (
        (field === Field.Username || field === Field.Reason) &&
        text.startsWith('null', p)
      ) {
        if (field === Field.Username) username = undefined;
        else reason = undefined;
        p += 4;
      } else {
        return undefined;
      }
      p = this.space(p, end);
      const next = text.charCodeAt(p);
      if (next === 44 /* , */) {
        p = this.space(p + 1, end);
        continue;
      }
      if (next !== 125 /* } */) return undefined;
      break;
    }
    if (this.space(p + 1, end) !== end) return undefined;
    if (ts === undefined || type === undefined || Number.isNaN(id)) return 'not-an-event';
    const time = this.timeOf(ts);
    if (Number.isNaN(time)) return 'not-an-event';
    return { id, ts, time, type, outcome, username, reason, ip, userAgent, method, path };
  }

  private space(p: number, end: number): number {
    while (p < end && isSpace(this.text.charCodeAt(p))) p += 1;
    return p;
  }

  private escapeAt(p: number): number {
    if (this.nextEscape < p) this.findEscape(p);
    return this.nextEscape;
  }

  /**
   * Kept out of `escapeAt`: with the search inlined into the hot path, V8 (Node 20) made the
   * whole parser about ten times slower, though the search runs about once per chunk.
   */
  private findEscape(p: number): void {
    const found = this.text.indexOf('\\', p);
    // text.length rather than Infinity keeps the field a small integer.
    this.nextEscape = found < 0 ? this.text.length : found;
  }

  /** The index of the quote that closes the string whose first character is at `p`; -1 if none. */
  private stringEnd(p: number, end: number): number {
    const text = this.text;
    const quote = text.indexOf('"', p);
    if (quote < 0 || quote >= end) return -1;
    if (this.escapeAt(p) > quote) return quote;
    for (let i = p; i < end; i += 1) {
      const code = text.charCodeAt(i);
      if (code === 92 /* \ */) i += 1;
      else if (code === 34) return i;
    }
    return -1;
  }

  /** Past the value at `p` (any JSON value, checked), or -1 when it is not one. */
  private skipValue(p: number, end: number): number {
    const text = this.text;
    const code = text.charCodeAt(p);
    if (code === 34) {
      const close = this.stringEnd(p + 1, end);
      if (close < 0) return -1;
      // An escape must be a valid one (`\q` is not): JSON.parse judges, which throws.
      if (this.escapeAt(p + 1) < close) JSON.parse(text.slice(p, close + 1));
      return close + 1;
    }
    if (code === 123 || code === 91) {
      // Nested values are rare in login events: find the end, then let JSON.parse judge them.
      let depth = 0;
      for (let i = p; i < end; i += 1) {
        const c = text.charCodeAt(i);
        if (c === 34) {
          i = this.stringEnd(i + 1, end);
          if (i < 0) return -1;
        } else if (c === 123 || c === 91) depth += 1;
        else if (c === 125 || c === 93) {
          depth -= 1;
          if (depth === 0) {
            JSON.parse(text.slice(p, i + 1));
            return i + 1;
          }
        }
      }
      return -1;
    }
    if (text.startsWith('true', p) || text.startsWith('null', p)) return p + 4;
    if (text.startsWith('false', p)) return p + 5;
    let q = p;
    while (q < end) {
      const c = text.charCodeAt(q);
      if (c === 44 || c === 125 || c === 93 || isSpace(c)) break;
      q += 1;
    }
    return q > p && JSON_NUMBER.test(text.slice(p, q)) ? q : SLOW;
  }

  /**
   * `Date.parse(ts)`, with the hour of canonical times (`YYYY-MM-DDTHH:mm:ss.sssZ`) parsed
   * once per hour of the file rather than once per line.
   */
  private timeOf(ts: string): number {
    if (
      ts.length !== 24 ||
      ts.charCodeAt(23) !== 90 ||
      ts.charCodeAt(13) !== 58 ||
      ts.charCodeAt(16) !== 58 ||
      ts.charCodeAt(19) !== 46
    )
      return Date.parse(ts);
    if (!ts.startsWith(this.hourText)) {
      this.hourText = ts.slice(0, 13);
      this.hourMs = Date.parse(`${this.hourText}:00:00.000Z`);
    }
    const minutes = twoDigits(ts, 14);
    const seconds = twoDigits(ts, 17);
    const lastDigit = ts.charCodeAt(22) - 48;
    const millis =
      twoDigits(ts, 20) * 10 + (lastDigit >= 0 && lastDigit <= 9 ? lastDigit : Number.NaN);
    if (!(minutes < 60 && seconds < 60 && millis >= 0)) return Date.parse(ts);
    return this.hourMs + minutes * 60_000 + seconds * 1000 + millis;
  }

  /** `intern(text.slice(start, end))`, without making the slice when the value is known. */
  private internText(start: number, end: number): string {
    const text = this.text;
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    const length = end - start;
    const mask = this.internedHashes.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const known = this.internedValues[slot];
      if (known === undefined) return this.remember(slot, hash, text.slice(start, end));
      if (
        this.internedHashes[slot] === hash &&
        known.length === length &&
        text.startsWith(known, start)
      )
        return known;
    }
  }

  /** One shared, unsliced copy of each distinct value (see the class comment). */
  private intern(value: string): string {
    let hash = 0x811c9dc5;
    for (let i = 0; i < value.length; i += 1)
      hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
    const mask = this.internedHashes.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const known = this.internedValues[slot];
      if (known === undefined) return this.remember(slot, hash, value);
      if (this.internedHashes[slot] === hash && known === value) return known;
    }
  }

  private remember(slot: number, hash: number, value: string): string {
    if (this.internedCount >= INTERNED_LIMIT) {
      // Half full: start over rather than let probes grow (a flood of distinct names).
      this.internedValues = new Array<string | undefined>(this.internedValues.length);
      this.internedHashes.fill(0);
      this.internedCount = 0;
      return this.intern(value);
    }
    // A slice of the chunk would keep the chunk alive as long as a detector keeps the value.
    const copy = Buffer.from(value, 'utf8').toString('utf8');
    this.internedHashes[slot] = hash;
    this.internedValues[slot] = copy;
    this.internedCount += 1;
    return copy;
  }
}

function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const ones = text.charCodeAt(at + 1) - 48;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : Number.NaN;
}
