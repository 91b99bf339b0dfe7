import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** Who and what a piece of work belongs to: an HTTP request, the CLI or the scheduler. */
export interface RequestContext {
  requestId: string;
  ip: string;
  userAgent: string;
  method: string;
  path: string;
  /** When the request arrived (epoch ms): the start of its time budget (DB_TIMEOUT_MS). */
  startedAt?: number;
}

const storage = new AsyncLocalStorage<RequestContext>();

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** API.md: take the caller's id when it is 1–128 of `[A-Za-z0-9._-]`, else make one. */
export function acceptRequestId(incoming: unknown): string {
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming)
    ? incoming
    : randomUUID();
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

export function runWithRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** The context of work that no HTTP request started (CLI, cron). */
export function systemContext(method: 'CLI' | 'CRON' | 'SYSTEM', path: string): RequestContext {
  return { requestId: randomUUID(), ip: '-', userAgent: 'gatehouse', method, path };
}
