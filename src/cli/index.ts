export { parseCommandLine } from './command-line';
export type { ParsedInvocation, ParseOutcome } from './command-line';
export { EXIT_FAILURE, EXIT_INTEGRITY_BROKEN, EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes';
export { formatTable, JSON_OPTION, plural, printJson, printLines } from './output';
