import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  createTestApp,
  HTTP_ADAPTERS,
  TestApp,
} from '../support/app';

/** `depth` nested arrays around `inner`: `[[…inner…]]`. */
function nested(depth: number, inner = ''): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

describe.each(HTTP_ADAPTERS)(
  'JSON nested deeper than 32 levels (issue 10 item 8) on %s',
  (adapter) => {
    let t: TestApp;
    let errorLog: jest.SpyInstance;

    beforeAll(async () => {
      t = await createTestApp({}, adapter);
    });

    beforeEach(() => {
      errorLog = jest.spyOn(Logger.prototype, 'error');
    });

    afterEach(() => {
      errorLog.mockRestore();
    });

    afterAll(async () => {
      await t.close();
    });

    it('answers 400 VALIDATION_FAILED to 5,000 nested arrays under 16 KiB, logs no stack, audits the login once', async () => {
      const body = nested(5000);
      expect(Buffer.byteLength(body)).toBeLessThan(16 * 1024);
      const requestId = randomUUID();
      const response = await t.http
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .set('X-Request-Id', requestId)
        .send(body);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: 'Validation failed',
        errors: ['body must not be nested deeper than 32 levels'],
      });
      expect(errorLog).not.toHaveBeenCalled();
      const events = await t.db
        .selectFrom('audit_events')
        .select(['type', 'username'])
        .where('request_id', '=', requestId)
        .execute();
      expect(events).toEqual([{ type: 'input_validation_fail', username: null }]);
    });

    it('refuses depth 33 and lets depth 32 through to the DTO validation, inside an object too', async () => {
      const deep = await t.http
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send(`{"username":${nested(32, '"x"')},"password":"p"}`);
      expect(deep.status).toBe(400);
      expect(deep.body.errors).toEqual(['body must not be nested deeper than 32 levels']);

      const allowed = await t.http
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send(`{"username":${nested(31, '"x"')},"password":"p"}`);
      expect(allowed.status).toBe(400);
      expect(allowed.body.code).toBe('VALIDATION_FAILED');
      expect(allowed.body.errors).not.toContain('body must not be nested deeper than 32 levels');

      const login = await t.login(ADMIN_USERNAME, ADMIN_PASSWORD);
      const cookies = login.cookies.join('; ');
      for (const [depth, refused] of [
        [33, true],
        [32, false],
      ] as const) {
        const response = await t.http
          .patch(`/users/${randomUUID()}`)
          .set('Cookie', cookies)
          .set('X-CSRF-Token', login.csrf)
          .set('Content-Type', 'application/json')
          .send(nested(depth));
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
        const errors = (response.body as { errors?: string[] }).errors ?? [];
        expect(errors.includes('body must not be nested deeper than 32 levels')).toBe(refused);
      }
      expect(errorLog).not.toHaveBeenCalled();
    });
  },
);
