import { EXIT_INTERRUPTED } from './exit-codes';

/** What an interrupted command throws: `cli.ts` turns it into exit code 130. */
export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted (${signal})`);
    this.name = 'Interrupted';
  }
}

/**
 * Runs `work` with a signal that Ctrl-C aborts, so the command can stop where stopping is
 * safe and clean up (the review records its run as failed and releases its lease). A second
 * Ctrl-C exits at once, leaving whatever the first one could not finish (the lease then
 * expires as after a crash).
 */
export async function interruptible<T>(
  work: (signal: AbortSignal) => Promise<T>,
  onInterrupt: () => void = () => undefined,
): Promise<T> {
  const controller = new AbortController();
  const interrupt = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.exit(EXIT_INTERRUPTED);
    }
    onInterrupt();
    process.stderr.write(`gatehouse: ${signal} received, stopping (again to quit at once)\n`);
    controller.abort(new Interrupted(signal));
  };
  process.on('SIGINT', interrupt);
  try {
    return await work(controller.signal);
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
}
