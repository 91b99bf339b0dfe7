import type { GatehouseRequest } from './http-platform';
import { ApiError } from './api-error';

/** API.md: JSON nested deeper than this is `400 VALIDATION_FAILED`. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether a parsed JSON value nests objects or arrays deeper than `max` levels (the top-level
 * object or array is level 1). Iterative, with an explicit stack, so that the check itself
 * cannot overflow the call stack on the input it exists to refuse.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Refuses a body nested deeper than 32 levels right after parsing, before class-transformer
 * recurses into it (5,000 nested arrays in 10 KB overflowed its stack: a 500 and a logged stack
 * trace per request). OWASP Input Validation and REST Security cheat sheets; ASVS 5.0 V1.5.
 */
export function rejectDeepJson(
  request: Pick<GatehouseRequest, 'body'>,
  _response: unknown,
  next: (error?: unknown) => void,
): void {
  if (!nestsDeeperThan(request.body, MAX_JSON_DEPTH)) {
    next();
    return;
  }
  next(
    new ApiError(400, 'VALIDATION_FAILED', 'Validation failed', {
      errors: [`body must not be nested deeper than ${MAX_JSON_DEPTH} levels`],
    }),
  );
}
