import type { Logger } from '@nestjs/common';

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Logs a dependency outage once when it starts and once when it ends, however many requests
 * fail in between: a Redis outage under load must not flood the log.
 */
export class OutageWarning {
  private down = false;

  constructor(
    private readonly logger: Pick<Logger, 'warn' | 'log'>,
    private readonly what: string,
  ) {}

  get active(): boolean {
    return this.down;
  }

  failed(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.logger.warn(`${this.what}: Redis unavailable (${describe(error)}); falling back until it returns`);
  }

  succeeded(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.log(`${this.what}: Redis is back`);
  }
}
