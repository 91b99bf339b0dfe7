import { HttpException } from '@nestjs/common';

/**
 * An HTTP answer built where HTTP is known: middlewares, guards and controllers that refuse a
 * request before any rule runs (415, 429 rate limit, a closed /metrics). Services throw a
 * `DomainError` instead; the exception filter maps both to `{ statusCode, code, message }`.
 */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super({ statusCode: status, code, message, ...extra }, status);
  }
}
