export { parseCommandLine } from './command-line';
export type { ParsedInvocation, ParseOutcome } from './command-line';
export {
  EXIT_FAILURE,
  EXIT_INTEGRITY_BROKEN,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
} from './exit-codes';
export { formatTable, JSON_OPTION, plural, printJson, printLines } from './output';
export { Interrupted, interruptible } from './interrupt';
export { PROGRESS_LINE_INTERVAL_MS, progressFigures, startProgress } from './progress';
export type { Progress, ProgressOptions, ProgressUnit } from './progress';
