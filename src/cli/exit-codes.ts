/** Exit codes of `gatehouse` (docs/cli.md). */
export const EXIT_OK = 0;
/** The command ran and failed (database down, user not found, LAST_ADMIN…). */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong: no or unknown command, unknown flag, bad option value. */
export const EXIT_USAGE = 2;
/** A verification found the audit trail (seals or files) not intact. */
export const EXIT_INTEGRITY_BROKEN = 3;

/** A value on the command line that the option parsers could not check (a positional one). */
export class UsageError extends Error {}
/**
 * Interrupted with Ctrl-C (SIGINT), by the shell convention 128 + 2. An interrupted review
 * is recorded as failed and its lease released; no report is written.
 */
export const EXIT_INTERRUPTED = 130;
