/**
 * The one form of a username used for uniqueness, lookups, throttling and audit: Unicode
 * NFKC, trimmed, lower-cased (API.md). `Ｊｏｈｎ `, `john` and `JOHN` are the same user.
 */
export function normalizeUsername(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
}

/** Length in Unicode code points, the unit of API.md's limits. */
export function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}
