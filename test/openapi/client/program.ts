/**
 * A small program written against the client generated from docs/openapi.json. It is
 * type-checked (strict) and then run against the real server by test/openapi. The type
 * assertions fail to compile when a schema the issue names turns into `any`, `never` or `{}`.
 */
import createClient from 'openapi-fetch';
import { CookieJar } from './cookie-fetch.js';
import type { components, paths } from './schema.js';

// ---- type-level checks -------------------------------------------------------------------
type IsAny<T> = 0 extends 1 & T ? true : false;
type IsNever<T> = [T] extends [never] ? true : false;
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only for a real type: neither any nor never, and with exactly the given keys. */
type Solid<T, Keys extends PropertyKey> =
  IsAny<T> extends true ? false : IsNever<T> extends true ? false : Equals<keyof T, Keys>;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type LoginOk = Json<paths['/auth/login']['post']['responses'][200]>;
type RefreshOk = Json<paths['/auth/refresh']['post']['responses'][200]>;
type Me = Json<paths['/auth/me']['get']['responses'][200]>;
type MeUnauthorized = Json<paths['/auth/me']['get']['responses'][401]>;
type LoginUnauthorized = Json<paths['/auth/login']['post']['responses'][401]>;
type RefreshHeaders = NonNullable<paths['/auth/refresh']['post']['parameters']['header']>;
type LogoutHeaders = NonNullable<paths['/auth/logout']['post']['parameters']['header']>;
type Sessions = Json<paths['/auth/sessions']['get']['responses'][200]>;

assertType<Solid<LoginOk, 'user'>>();
assertType<Solid<LoginOk['user'], 'id' | 'username' | 'roles'>>();
assertType<Equals<LoginOk['user']['username'], string>>();
assertType<Equals<LoginOk['user']['roles'], string[]>>();
assertType<Solid<RefreshOk, 'user'>>();
assertType<Solid<Me, 'id' | 'username' | 'roles'>>();
assertType<Equals<Me, components['schemas']['PublicUserDto']>>();
assertType<Solid<Sessions, 'items' | 'nextCursor'>>();
assertType<Equals<Sessions['nextCursor'], string | null>>();
assertType<
  Equals<
    MeUnauthorized['code'],
    'TOKEN_MISSING' | 'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'SESSION_REVOKED'
  >
>();
assertType<Equals<LoginUnauthorized['code'], 'INVALID_CREDENTIALS'>>();
assertType<Equals<MeUnauthorized['message'], string>>();
assertType<Equals<RefreshHeaders['X-CSRF-Token'], string>>();
assertType<Equals<LogoutHeaders['X-CSRF-Token'], string>>();

// ---- the program -------------------------------------------------------------------------
export interface Outcome {
  login: { status: number; user: LoginOk['user'] | undefined; cookies: string[] };
  me: { status: number; username: string | undefined };
  refresh: { status: number; accessRotated: boolean };
  meAfterRefresh: { status: number; id: string | undefined };
  refreshWithoutCsrf: { status: number; code: string | undefined };
  logout: { status: number; cookies: string[] };
  meAfterLogout: { status: number; code: string | undefined };
  wrongPassword: { status: number; code: string | undefined };
}

async function run(baseUrl: string, username: string, password: string): Promise<Outcome> {
  const jar = new CookieJar();
  const client = createClient<paths>({ baseUrl, fetch: jar.fetch });

  const wrong = await client.POST('/auth/login', {
    body: { username, password: `${password}-wrong` },
  });

  const login = await client.POST('/auth/login', { body: { username, password } });
  const signedIn: LoginOk | undefined = login.data;
  const loginCookies = jar.names();

  const me = await client.GET('/auth/me');
  const username_: string | undefined = me.data?.username;

  const csrf = jar.get('csrf_token') ?? '';
  const accessBefore = jar.get('access_token');
  const refreshWithoutCsrf = await client.POST('/auth/refresh', {
    params: { header: { 'X-CSRF-Token': 'not-the-token' } },
  });
  const refresh = await client.POST('/auth/refresh', {
    params: { header: { 'X-CSRF-Token': csrf } },
  });
  const accessRotated =
    jar.get('access_token') !== undefined && jar.get('access_token') !== accessBefore;
  const meAfterRefresh = await client.GET('/auth/me');

  const logout = await client.POST('/auth/logout', {
    params: { header: { 'X-CSRF-Token': csrf } },
  });
  const logoutCookies = jar.names();
  const meAfterLogout = await client.GET('/auth/me');

  return {
    login: { status: login.response.status, user: signedIn?.user, cookies: loginCookies },
    me: { status: me.response.status, username: username_ },
    refresh: { status: refresh.response.status, accessRotated },
    meAfterRefresh: { status: meAfterRefresh.response.status, id: meAfterRefresh.data?.id },
    refreshWithoutCsrf: {
      status: refreshWithoutCsrf.response.status,
      code: refreshWithoutCsrf.error?.code,
    },
    logout: { status: logout.response.status, cookies: logoutCookies },
    meAfterLogout: { status: meAfterLogout.response.status, code: meAfterLogout.error?.code },
    wrongPassword: { status: wrong.response.status, code: wrong.error?.code },
  };
}

const [baseUrl = '', username = '', password = ''] = process.argv.slice(2);
run(baseUrl, username, password).then(
  (outcome) => process.stdout.write(`${JSON.stringify(outcome)}\n`),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
