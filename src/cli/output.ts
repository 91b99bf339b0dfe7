/**
 * One output shape for every command: with `--json`, exactly one JSON document on stdout;
 * otherwise a short table or sentence. Progress and logs go to stderr, never stdout.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** A left-aligned text table; `empty` is printed instead when there are no rows. */
export function formatTable(headers: string[], rows: string[][], empty: string): string[] {
  if (rows.length === 0) return [empty];
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The `--json` flag every data-printing command declares. */
export const JSON_OPTION = {
  flags: '--json',
  description: 'print one JSON document on stdout',
} as const;
