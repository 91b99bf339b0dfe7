import { HttpException } from '@nestjs/common';

/**
 * Every failure the API answers with: `{ statusCode, code, message }` plus optional extra
 * fields (such as `errors`). Services throw these with the codes of API.md; the global
 * exception filter writes them out.
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

export const notFound = (what = 'Not found'): ApiError => new ApiError(404, 'NOT_FOUND', what);
