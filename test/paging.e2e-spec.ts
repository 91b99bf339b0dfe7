import { ADMIN_PASSWORD, createTestApp, LoginResult, TestApp } from './support/app';

/**
 * Every paged list decodes its cursor with the one codec and pages with the one helper, so a
 * cursor it did not make gets the same 400 on each (issue 14, item 2), and a cursor another
 * list made is no cursor of its own.
 */
describe('paged lists (e2e)', () => {
  let t: TestApp;
  let admin: LoginResult;
  const get = (path: string) => t.http.get(path).set('Cookie', admin.cookies);

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.login('admin', ADMIN_PASSWORD);
    await t.createUser('paula', 'quite a long user passphrase 31');
    await t.createUser('quentin', 'quite a long user passphrase 31');
  });
  afterAll(async () => {
    await t.close();
  });

  /** Each list and a cursor another list could have made. */
  const PAGED: [string, string][] = [
    ['/users', 'us1:paula'],
    ['/audit/events', 'ae1:12'],
    ['/audit/reviews', 'rv1:1767225600000:0d1f6a32-0000-4000-8000-000000000000'],
    ['/audit/blocks', 'bk1:0d1f6a32-0000-4000-8000-000000000000'],
  ];
  const base64url = (text: string) => Buffer.from(text).toString('base64url');

  it.each(PAGED)('%s answers the same 400 for a cursor it did not make', async (path, mine) => {
    const foreign = [
      'garbage!',
      'x'.repeat(2000),
      base64url('nonsense'),
      ...PAGED.filter(([other]) => other !== path).map(([, cursor]) => base64url(cursor)),
    ];
    expect((await get(`${path}?cursor=${base64url(mine)}`)).status).toBe(200);
    for (const cursor of foreign) {
      const response = await get(`${path}?cursor=${cursor}`);
      expect({ cursor, status: response.status, body: response.body }).toEqual({
        cursor,
        status: 400,
        body: {
          statusCode: 400,
          code: 'VALIDATION_FAILED',
          message: 'Validation failed',
          errors: ['cursor must be a nextCursor value from an earlier page'],
        },
      });
    }
  });

  it('/users and /audit/events walk every row once with nextCursor, and end with null', async () => {
    for (const path of ['/users', '/audit/events']) {
      const first = (await get(`${path}?limit=1`).expect(200)).body as {
        items: unknown[];
        nextCursor: string | null;
      };
      expect(first.items).toHaveLength(1);
      expect(first.nextCursor).toEqual(expect.any(String));
      const seen = [JSON.stringify(first.items[0])];
      let cursor = first.nextCursor;
      while (cursor !== null) {
        const page = (await get(`${path}?limit=2&cursor=${cursor}`).expect(200)).body as {
          items: unknown[];
          nextCursor: string | null;
        };
        seen.push(...page.items.map((item) => JSON.stringify(item)));
        cursor = page.nextCursor;
      }
      const all = (await get(`${path}?limit=500`).expect(200)).body as { items: unknown[] };
      expect(seen).toEqual(all.items.map((item) => JSON.stringify(item)));
    }
  });
});
