/** The message of anything thrown, for a log line, an audit detail or a CLI answer. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
