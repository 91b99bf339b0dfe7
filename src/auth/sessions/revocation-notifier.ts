import { Injectable } from '@nestjs/common';

/** Sessions that just ended; every instance must stop honouring them at once. */
export interface RevocationEvent {
  sessionIds: string[];
  /**
   * Revocations may have been missed (the shared feed was down, or just came back): every cached
   * session state must be forgotten and read again from the database.
   */
  resync?: boolean;
}

export type RevocationListener = (event: RevocationEvent) => void;

/**
 * How a revocation reaches every instance's session cache. This process-local one serves a
 * single instance; a Redis pub/sub implementation (bound to this abstract class) fans the
 * same events out across instances without touching the cache or the guard.
 * `publish` resolves once local listeners have run, so a revoking request's answer is never
 * sent before this instance stops accepting the session.
 */
export abstract class RevocationNotifier {
  abstract publish(event: RevocationEvent): Promise<void>;
  abstract subscribe(listener: RevocationListener): void;

  /**
   * Whether other instances' revocations reach this one right now. While false (Redis down),
   * the cache cannot be trusted and the guard reads the database on every request.
   */
  get connected(): boolean {
    return true;
  }
}

@Injectable()
export class LocalRevocationNotifier extends RevocationNotifier {
  private readonly listeners: RevocationListener[] = [];

  publish(event: RevocationEvent): Promise<void> {
    for (const listener of this.listeners) listener(event);
    return Promise.resolve();
  }

  subscribe(listener: RevocationListener): void {
    this.listeners.push(listener);
  }
}
