import { ADMIN_PASSWORD, createTestApp, TestApp } from '../support/app';

describe('auth smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('logs in, reads me, refreshes, logs out', async () => {
    const login = await t.login('admin', ADMIN_PASSWORD);
    console.log(login.status, login.body, login.setCookie);
    const me = await t.http.get('/auth/me').set('Cookie', login.cookies);
    console.log(me.status, me.body);
    const refresh = await t.http.post('/auth/refresh').set('Cookie', login.cookies).set('X-CSRF-Token', login.csrf);
    console.log(refresh.status, refresh.body, refresh.headers['set-cookie']);
    const logout = await t.http.post('/auth/logout').set('Cookie', login.cookies).set('X-CSRF-Token', login.csrf);
    console.log(logout.status, logout.body, logout.headers['set-cookie']);
    const me2 = await t.http.get('/auth/me').set('Cookie', login.cookies);
    console.log(me2.status, me2.body, me2.headers['www-authenticate']);
    const bad = await t.http.post('/auth/login').set('Content-Type', 'text/plain').send('x');
    console.log(bad.status, bad.body);
    const events = await t.db.selectFrom('audit_events').select(['type', 'reason', 'path', 'username']).execute();
    console.log(events);
  });
});
