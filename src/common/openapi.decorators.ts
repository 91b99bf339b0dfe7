import { applyDecorators, Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiHeader,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiSecurity,
  getSchemaPath,
} from '@nestjs/swagger';

/** The one error body of API.md: `{ statusCode, code, message }` plus optional `errors`. */
export class ApiErrorBody {
  @ApiProperty({ type: 'integer', example: 401 })
  statusCode!: number;

  @ApiProperty({ description: 'Machine-readable code; each operation lists the codes it answers.' })
  code!: string;

  @ApiProperty({ example: 'Unauthorized' })
  message!: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'Validation details (400 VALIDATION_FAILED).',
  })
  errors?: string[];
}

/** The names of the two cookie security schemes in the document. */
export const ACCESS_COOKIE_SCHEME = 'access_token';
export const REFRESH_COOKIE_SCHEME = 'refresh_token';

/** What every route behind the access cookie may answer when the token is not good. */
export const TOKEN_ERRORS = [
  'TOKEN_MISSING',
  'TOKEN_EXPIRED',
  'TOKEN_INVALID',
  'SESSION_REVOKED',
] as const;

const DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Refused',
  404: 'Not found',
  409: 'Conflict',
  413: 'Body over 16 KiB',
  415: 'Body is not application/json',
  429: 'Too many requests (see Retry-After)',
  503: 'Unavailable (see Retry-After)',
};

/**
 * One error response per status, typed as the shared `ApiErrorBody` with its `code` narrowed
 * to the codes this operation answers, so a generated client can switch on `code`.
 * Codes for one status must come in one call: a second call for the same status replaces it.
 */
export function ApiErrors(status: number, codes: readonly string[], description?: string) {
  return applyDecorators(
    ApiExtraModels(ApiErrorBody),
    ApiResponse({
      status,
      description: description ?? DESCRIPTIONS[status] ?? 'Error',
      ...(status === 429 || status === 503
        ? {
            headers: {
              'Retry-After': {
                description: 'Seconds to wait before trying again (when known).',
                schema: { type: 'integer' },
              },
            },
          }
        : {}),
      schema: {
        allOf: [
          { $ref: getSchemaPath(ApiErrorBody) },
          { type: 'object', properties: { code: { type: 'string', enum: [...new Set(codes)] } } },
        ],
      },
    }),
  );
}

/** The access cookie as this operation's security requirement. */
export function ApiAccessCookie() {
  return ApiSecurity(ACCESS_COOKIE_SCHEME);
}

/** The refresh cookie as this operation's security requirement. */
export function ApiRefreshCookie() {
  return ApiSecurity(REFRESH_COOKIE_SCHEME);
}

/** API.md: every unsafe request but the login sends the `csrf_token` cookie's value back. */
export function ApiCsrfHeader() {
  return ApiHeader({
    name: 'X-CSRF-Token',
    required: true,
    description:
      'The value of the `csrf_token` cookie (`__Host-csrf_token` with secure cookies); `403 CSRF_TOKEN` otherwise.',
    schema: { type: 'string' },
  });
}

/** `{ items: T[], nextCursor: string | null }`, the shape of every list of API.md. */
export function PageOf<T>(
  item: Type<T>,
  name: string,
): Type<{ items: T[]; nextCursor: string | null }> {
  class Page {
    @ApiProperty({ type: [item] })
    items!: T[];

    @ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as `cursor` for the next page; null at the end.',
    })
    nextCursor!: string | null;
  }
  Object.defineProperty(Page, 'name', { value: name });
  return Page;
}

export interface ApiContractOptions {
  /** Which cookie authenticates the operation; `public` needs none. */
  auth: 'public' | 'access' | 'refresh';
  /** Unsafe method: needs `X-CSRF-Token` (every one but the login) and checks `Origin`. */
  csrf?: boolean;
  /** Admin-only: `403 FORBIDDEN` for other roles. */
  admin?: boolean;
  /** Takes a JSON body: malformed JSON, 413 and 415 apply. */
  body?: boolean;
  /** Takes a query or body that is validated: `400 VALIDATION_FAILED`. */
  validated?: boolean;
  /** Outside the general rate limit (`/health*`). */
  unlimited?: boolean;
  /** The operation's own codes, by status. */
  errors?: Partial<Record<number, readonly string[]>>;
}

/**
 * Security, the CSRF header and every error response of one operation, from the rules of
 * API.md that apply to it plus its own codes. Codes of one status are merged into one response.
 */
export function ApiContract(options: ApiContractOptions) {
  const byStatus = new Map<number, string[]>();
  const add = (status: number, ...codes: string[]): void => {
    byStatus.set(status, [...(byStatus.get(status) ?? []), ...codes]);
  };
  if (!options.unlimited) {
    add(400, 'BAD_CLIENT_ADDRESS');
    add(429, 'RATE_LIMITED');
    // The database did not answer within DB_TIMEOUT_MS.
    add(503, 'SERVICE_UNAVAILABLE');
  }
  if (options.validated || options.body) add(400, 'VALIDATION_FAILED');
  if (options.body) {
    add(400, 'MALFORMED_JSON');
    add(413, 'PAYLOAD_TOO_LARGE');
    add(415, 'UNSUPPORTED_MEDIA_TYPE');
  }
  if (options.auth === 'access') add(401, ...TOKEN_ERRORS);
  if (options.csrf) add(403, 'CSRF_ORIGIN', ...(options.auth === 'public' ? [] : ['CSRF_TOKEN']));
  if (options.admin) add(403, 'FORBIDDEN');
  for (const [status, codes] of Object.entries(options.errors ?? {}))
    add(Number(status), ...codes!);

  const decorators: Array<ClassDecorator | MethodDecorator> = [];
  if (options.auth === 'access') decorators.push(ApiAccessCookie());
  if (options.auth === 'refresh') decorators.push(ApiRefreshCookie());
  if (options.csrf && options.auth !== 'public') decorators.push(ApiCsrfHeader());
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    decorators.push(ApiErrors(status, byStatus.get(status)!));
  }
  return applyDecorators(...decorators);
}
