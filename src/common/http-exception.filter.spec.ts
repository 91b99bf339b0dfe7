import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ApiError } from './api-error';
import { DomainError, notFound, validationFailed } from './domain-error';
import { toErrorBody } from './http-exception.filter';
import { acceptRequestId } from './request-context';

describe('toErrorBody', () => {
  it('keeps an ApiError as thrown, with its headers', () => {
    const error = new ApiError(
      429,
      'TOO_MANY_ATTEMPTS',
      'Too many attempts',
      {},
      { 'Retry-After': '60' },
    );
    expect(toErrorBody(error)).toEqual({
      body: { statusCode: 429, code: 'TOO_MANY_ATTEMPTS', message: 'Too many attempts' },
      headers: { 'Retry-After': '60' },
    });
  });

  it.each([
    [
      new DomainError('TOO_MANY_ATTEMPTS', 'Too many attempts', { retryAfterSeconds: 0.2 }),
      429,
      { 'Retry-After': '1' },
    ],
    [
      new DomainError('LOGIN_BUSY', 'Busy', { retryAfterSeconds: 1.5 }),
      503,
      { 'Retry-After': '2' },
    ],
    [
      new DomainError('SESSION_REVOKED', 'Session revoked'),
      401,
      { 'WWW-Authenticate': 'Cookie realm="gatehouse"' },
    ],
    [
      new DomainError('REFRESH_REUSED', 'Refresh token reused'),
      401,
      { 'WWW-Authenticate': 'Cookie realm="gatehouse"' },
    ],
    [new DomainError('INVALID_CREDENTIALS', 'Invalid credentials'), 401, {}],
    [new DomainError('LAST_ADMIN', 'No admin left'), 409, {}],
    [notFound('User not found'), 404, {}],
  ])('maps the domain error %p to its status and headers', (error, status, headers) => {
    expect(toErrorBody(error)).toEqual({
      body: { statusCode: status, code: error.code, message: error.message },
      headers,
    });
  });

  it('answers a domain validation failure like the ValidationPipe does', () => {
    const pipe = toErrorBody(new BadRequestException(['cursor is bad'])).body;
    expect(toErrorBody(validationFailed('cursor is bad')).body).toEqual(pipe);
  });

  it('turns validation messages into VALIDATION_FAILED with errors', () => {
    const { body } = toErrorBody(new BadRequestException(['username must be a string']));
    expect(body).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'Validation failed',
      errors: ['username must be a string'],
    });
  });

  it('maps Nest HTTP exceptions by status', () => {
    expect(toErrorBody(new NotFoundException('Cannot GET /secret/path')).body).toEqual({
      statusCode: 404,
      code: 'NOT_FOUND',
      message: 'Not found',
    });
  });

  it.each([
    ['entity.parse.failed', 400, 'MALFORMED_JSON'],
    ['entity.too.large', 413, 'PAYLOAD_TOO_LARGE'],
    ['charset.unsupported', 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('maps body-parser %s to %d %s', (type, status, code) => {
    const error = Object.assign(new Error('Unexpected token } in JSON at position 7'), { type });
    expect(toErrorBody(error).body).toEqual({
      statusCode: status,
      code,
      message: expect.any(String) as unknown,
    });
    expect(JSON.stringify(toErrorBody(error).body)).not.toContain('position');
  });

  it('answers 503 SERVICE_UNAVAILABLE when the database cannot be reached', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    expect(toErrorBody(refused).body.code).toBe('SERVICE_UNAVAILABLE');
    expect(toErrorBody(new Error('timeout exceeded when trying to connect')).body.statusCode).toBe(
      503,
    );
  });

  it('never leaks the message, stack, SQL or a path of an unexpected error', () => {
    const error = new Error(
      'SQLITE_ERROR: no such table: users at /work/main/src/users/users.repository.ts',
    );
    const { body } = toErrorBody(error);
    expect(body).toEqual({
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
    });
  });
});

describe('acceptRequestId', () => {
  it('keeps a well-formed incoming id and replaces anything else', () => {
    expect(acceptRequestId('abc-123_X.y')).toBe('abc-123_X.y');
    expect(acceptRequestId('x'.repeat(128))).toBe('x'.repeat(128));
    for (const bad of [
      'x'.repeat(129),
      '',
      'has space',
      'line\nbreak',
      '<script>',
      undefined,
      ['a', 'b'],
    ]) {
      const id = acceptRequestId(bad);
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
