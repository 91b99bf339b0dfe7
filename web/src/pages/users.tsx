import { useState } from 'preact/hooks';
import { api, query, type Page, type User } from '../api';
import { Done, ErrorMessage, PageTitle, useAction, useLoad, View } from '../ui';

export function UsersPage(props: { me: User }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const users = useLoad(
    () => api.get<Page<User>>(`/users${query({ limit: 20, cursor })}`),
    cursor ?? '',
  );
  const action = useAction();

  async function update(
    user: User,
    change: { disabled?: boolean; roles?: string[] },
    message: string,
  ) {
    if (await action.run(() => api.patch(`/users/${encodeURIComponent(user.id)}`, change), message))
      users.reload();
  }

  return (
    <main id="main">
      <PageTitle>Users</PageTitle>
      <CreateUser onCreated={users.reload} />
      <section class="card" aria-labelledby="list-title">
        <h2 id="list-title">All users</h2>
        <ErrorMessage error={action.error} />
        <Done message={action.done} />
        <View loaded={users} label="the users">
          {(page) => (
            <>
              <div class="table-wrap">
                <table class="stack" data-testid="users">
                  <thead>
                    <tr>
                      <th scope="col">Username</th>
                      <th scope="col">Roles</th>
                      <th scope="col">State</th>
                      <th scope="col">
                        <span class="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((user) => {
                      const admin = user.roles.includes('admin');
                      return (
                        <tr key={user.id}>
                          <td>
                            {user.username}
                            {user.id === props.me.id && <span class="badge">you</span>}
                          </td>
                          <td>{user.roles.join(', ')}</td>
                          <td>{user.disabled ? 'disabled' : 'enabled'}</td>
                          <td class="actions">
                            <button
                              type="button"
                              disabled={action.busy}
                              onClick={() =>
                                void update(
                                  user,
                                  { disabled: !user.disabled },
                                  `${user.username} ${user.disabled ? 'enabled' : 'disabled'}.`,
                                )
                              }
                            >
                              {user.disabled ? 'Enable' : 'Disable'}{' '}
                              <span class="sr-only">{user.username}</span>
                            </button>
                            <button
                              type="button"
                              disabled={action.busy}
                              onClick={() =>
                                void update(
                                  user,
                                  { roles: admin ? ['user'] : ['admin', 'user'] },
                                  `${user.username} is ${admin ? 'no longer' : 'now'} an admin.`,
                                )
                              }
                            >
                              {admin ? 'Remove admin' : 'Make admin'}{' '}
                              <span class="sr-only">{user.username}</span>
                            </button>
                            <button
                              type="button"
                              disabled={action.busy}
                              onClick={() =>
                                void action.run(
                                  () => api.post(`/users/${encodeURIComponent(user.id)}/unlock`),
                                  `${user.username} unlocked.`,
                                )
                              }
                            >
                              Unlock <span class="sr-only">{user.username}</span>
                            </button>
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <Pager
                hasPrevious={cursors.length > 0}
                next={page.nextCursor}
                onPrevious={() => setCursors(cursors.slice(0, -1))}
                onNext={(next) => setCursors([...cursors, next])}
              />
            </>
          )}
        </View>
      </section>
    </main>
  );
}

export function Pager(props: {
  hasPrevious: boolean;
  next: string | null;
  onPrevious: () => void;
  onNext: (cursor: string) => void;
}) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={!props.hasPrevious} onClick={props.onPrevious}>
        Previous page
      </button>
      <button
        type="button"
        disabled={props.next === null}
        onClick={() => props.next !== null && props.onNext(props.next)}
      >
        Next page
      </button>
    </nav>
  );
}

function CreateUser(props: { onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [admin, setAdmin] = useState(false);
  const action = useAction();

  async function submit(event: Event) {
    event.preventDefault();
    const ok = await action.run(
      () => api.post('/users', { username, password, roles: admin ? ['admin', 'user'] : ['user'] }),
      `User ${username} created.`,
    );
    if (ok) {
      setUsername('');
      setPassword('');
      setAdmin(false);
      props.onCreated();
    }
  }

  return (
    <section class="card" aria-labelledby="create-title">
      <h2 id="create-title">Create a user</h2>
      <ErrorMessage error={action.error} />
      <Done message={action.done} />
      <form onSubmit={(event) => void submit(event)}>
        <label for="new-username">Username</label>
        <input
          id="new-username"
          required
          maxLength={128}
          value={username}
          onInput={(event) => setUsername(event.currentTarget.value)}
        />
        <label for="new-user-password">Password</label>
        <input
          id="new-user-password"
          type="password"
          autocomplete="new-password"
          required
          value={password}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
        <label class="check">
          <input
            type="checkbox"
            checked={admin}
            onChange={(event) => setAdmin(event.currentTarget.checked)}
          />
          Administrator
        </label>
        <button type="submit" class="primary" disabled={action.busy}>
          Create user
        </button>
      </form>
    </section>
  );
}
