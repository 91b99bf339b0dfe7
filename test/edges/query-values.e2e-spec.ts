import { Logger } from '@nestjs/common';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  createTestApp,
  HTTP_ADAPTERS,
  TestApp,
} from '../support/app';

const LISTS = ['/users', '/audit/events', '/audit/reviews', '/audit/blocks'];

describe.each(HTTP_ADAPTERS)(
  'query values that are not what they claim (issue 10 item 13) on %s',
  (adapter) => {
    let t: TestApp;
    let cookie: string;
    let errorLog: jest.SpyInstance;

    beforeAll(async () => {
      t = await createTestApp({}, adapter);
      cookie = (await t.login(ADMIN_USERNAME, ADMIN_PASSWORD)).cookies.join('; ');
      errorLog = jest.spyOn(Logger.prototype, 'error');
    });

    afterAll(async () => {
      errorLog.mockRestore();
      await t.close();
    });

    const get = (path: string, query: Record<string, string | string[]>) =>
      t.http.get(path).query(query).set('Cookie', cookie);

    describe.each(LISTS)('%s', (path) => {
      it.each(['0x10', '1e2', ' 100', '100 ', '+5', '5.0', '-1', '0', '501', '', 'ten', '١٢'])(
        'answers 400 VALIDATION_FAILED to limit=%p',
        async (limit) => {
          const response = await get(path, { limit });
          expect(response.status).toBe(400);
          expect(response.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
        },
      );

      it('answers 400 to a repeated limit, and accepts plain decimal limits', async () => {
        expect((await get(path, { limit: ['5', '6'] })).status).toBe(400);
        for (const limit of ['1', '50', '500']) {
          expect((await get(path, { limit })).status).toBe(200);
        }
      });
    });

    it.each([
      ['to', 'garbage'],
      ['from', 'garbage'],
      ['to', '2026-W05'],
      ['from', '2026-032'],
      ['to', '20260131T230000Z'],
      ['from', '2026-02-30'],
      ['to', '2026-01-31T25:00:00Z'],
      ['to', '+275760-09-13T00:00:00.001Z'],
    ])('GET /audit/events?%s=%s is 400 VALIDATION_FAILED, never 500', async (name, value) => {
      const response = await get('/audit/events', { [name]: value });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      const both = await get('/audit/events', { from: value, to: value });
      expect(both.status).toBe(400);
    });

    it('accepts ISO-8601 times, with an offset or as UTC', async () => {
      for (const [from, to] of [
        ['2026-01-01', '2026-02-01'],
        ['2026-01-01T00:00:00Z', '2026-01-31T23:00:00+01:00'],
        ['2026-01-01T00:00', '2026-01-31T23:00:00.123Z'],
      ]) {
        expect((await get('/audit/events', { from, to })).status).toBe(200);
      }
      expect((await get('/audit/events', { from: '2026-02-01', to: '2026-01-01' })).status).toBe(
        400,
      );
    });

    it('logged no error for any of them', () => {
      expect(errorLog).not.toHaveBeenCalled();
    });
  },
);
