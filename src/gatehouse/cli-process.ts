/**
 * Whether this process is a Gatehouse command line, and what its command allows at boot.
 *
 * The host's module is defined (GatehouseModule.forRoot/forRootAsync ran) before the command
 * line is parsed, so the CLI cannot pass different options; it marks the process instead, and
 * GatehouseModule's option factories read the mark when the context boots. A CLI process never
 * writes the JSON-lines file (one writer per file keeps its MAC chain linear), never schedules
 * the 23:00 review, never creates the first admin and opens a small pool.
 */
export interface CliProcess {
  /** False for `db:migrate` (it migrates itself, reporting each step) and `audit:review --file`. */
  migrate: boolean;
}

let current: CliProcess | undefined;

export function markCliProcess(process: CliProcess): void {
  current = process;
}

export function cliProcess(): CliProcess | undefined {
  return current;
}
