import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { validationFailed } from './domain-error';

/** Every list of API.md: one page and the opaque cursor of the next, or null on the last. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What every list answers for a cursor it did not make: the same 400 on every paged route. */
export const INVALID_CURSOR_MESSAGE = 'cursor must be a nextCursor value from an earlier page';
/** A cursor as it may stand in a query string: base64url, and never long. */
const CURSOR_TEXT = /^[A-Za-z0-9_-]{1,1024}$/;

/**
 * An opaque page cursor: `prefix` + the key of the page's last row, base64url-encoded. A
 * cursor decodes only when it is exactly what `encode` would write for the key it names, so a
 * hand-made or truncated cursor is a `400 VALIDATION_FAILED`, never an empty or shifted page.
 */
export class CursorCodec<K> {
  constructor(
    private readonly prefix: string,
    private readonly write: (key: K) => string,
    /** The key in the text after the prefix, or undefined when it is not one. */
    private readonly read: (text: string) => K | undefined,
  ) {}

  encode(key: K): string {
    return Buffer.from(`${this.prefix}${this.write(key)}`, 'utf8').toString('base64url');
  }

  /** The key, or undefined when the text is not a cursor of this codec. */
  tryDecode(cursor: string): K | undefined {
    if (!CURSOR_TEXT.test(cursor)) return undefined;
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!text.startsWith(this.prefix)) return undefined;
    const key = this.read(text.slice(this.prefix.length));
    return key !== undefined && this.encode(key) === cursor ? key : undefined;
  }

  /** The key; a cursor this codec did not make is the 400 every list answers. */
  decode(cursor: string): K {
    const key = this.tryDecode(cursor);
    if (key === undefined) throw validationFailed(INVALID_CURSOR_MESSAGE);
    return key;
  }

  /** `decode` for an optional query value: no cursor is the first page. */
  decodeOptional(cursor: string | undefined): K | undefined {
    return cursor === undefined ? undefined : this.decode(cursor);
  }
}

/**
 * Reads one page: asks `fetch` for one row more than `limit`, so whether another page follows
 * is known without a count, and the next cursor names the last row shown.
 */
export async function readPage<T>(
  limit: number,
  fetch: (take: number) => Promise<T[]>,
  cursorOf: (last: T) => string,
): Promise<Page<T>> {
  const rows = await fetch(limit + 1);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

/**
 * The `cursor` query parameter's shape, with the message every list gives (and the pattern
 * the OpenAPI document shows); which codec made it is checked where the cursor is decoded,
 * with the same message.
 */
export function IsCursor(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ required: false, type: String, pattern: CURSOR_TEXT.source }),
    Matches(CURSOR_TEXT, { message: INVALID_CURSOR_MESSAGE }),
  );
}
