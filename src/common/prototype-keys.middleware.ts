import type { GatehouseRequest } from './http-platform';
import { ApiError } from './api-error';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 32;

function findForbiddenKey(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  // JSON.parse makes `__proto__` an own property, so own keys show every one of them.
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return key;
    const found = findForbiddenKey((value as Record<string, unknown>)[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Refuses bodies carrying prototype-pollution keys at any depth with `400 VALIDATION_FAILED`
 * (ASVS 5.0 V1.5.2; OWASP Prototype Pollution Prevention Cheat Sheet). class-transformer would
 * otherwise assign `__proto__` onto a DTO instance before the whitelist could see it.
 */
export function rejectPrototypeKeys(
  request: Pick<GatehouseRequest, 'body'>,
  _response: unknown,
  next: (error?: unknown) => void,
): void {
  const key = findForbiddenKey(request.body, 0);
  if (key === undefined) {
    next();
    return;
  }
  next(
    new ApiError(400, 'VALIDATION_FAILED', 'Validation failed', {
      errors: [`property ${key} is not allowed`],
    }),
  );
}
