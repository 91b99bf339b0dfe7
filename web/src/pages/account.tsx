import { useState } from 'preact/hooks';
import { api, type Page, type User } from '../api';
import { formatDate } from '../format';
import { Done, ErrorMessage, PageTitle, useAction, useLoad, View } from '../ui';

interface SessionItem {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  ip: string;
  userAgent: string;
  current: boolean;
}

/** A readable name for a user agent: browser and system, the whole string in a title. */
export function describeAgent(agent: string): string {
  if (!agent) return 'Unknown device';
  const browser = /(Edg|Firefox|Chrome|Chromium|Safari|curl|node)[/ ]([\d.]+)/.exec(agent);
  const system = /(Windows|Android|iPhone|iPad|Mac OS X|Linux|CrOS)/.exec(agent);
  const name = browser
    ? `${browser[1] === 'Edg' ? 'Edge' : browser[1]} ${browser[2].split('.')[0]}`
    : agent.slice(0, 40);
  return system ? `${name} on ${system[1].replace('Mac OS X', 'macOS')}` : name;
}

export function AccountPage(props: { user: User; onSignedOut: (message: string) => void }) {
  const sessions = useLoad(() => api.get<Page<SessionItem>>('/auth/sessions'), 'sessions');
  const action = useAction();

  async function end(session: SessionItem) {
    const ok = await action.run(
      () => api.del(`/auth/sessions/${encodeURIComponent(session.id)}`),
      'Session ended.',
    );
    if (ok && session.current) props.onSignedOut('You signed out.');
    else if (ok) sessions.reload();
  }

  async function everywhere() {
    if (await action.run(() => api.post('/auth/logout-all')))
      props.onSignedOut('You signed out on every device.');
  }

  return (
    <main id="main">
      <PageTitle>Your account</PageTitle>
      <section class="card" aria-labelledby="me-title">
        <h2 id="me-title">Who you are</h2>
        <dl class="facts">
          <dt>Username</dt>
          <dd data-testid="me-username">{props.user.username}</dd>
          <dt>Roles</dt>
          <dd>{props.user.roles.join(', ')}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Your sessions</h2>
        <ErrorMessage error={action.error} />
        <Done message={action.done} />
        <View loaded={sessions} label="your sessions">
          {(page) => (
            <div class="table-wrap">
              <table class="stack" data-testid="sessions">
                <caption class="sr-only">Sessions signed in to your account</caption>
                <thead>
                  <tr>
                    <th scope="col">Device</th>
                    <th scope="col">IP</th>
                    <th scope="col">Signed in</th>
                    <th scope="col">Last seen</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((session) => (
                    <tr key={session.id}>
                      <td title={session.userAgent}>
                        {describeAgent(session.userAgent)}
                        {session.current && <span class="badge">this device</span>}
                      </td>
                      <td>{session.ip}</td>
                      <td>{formatDate(session.createdAt)}</td>
                      <td>{formatDate(session.lastSeenAt)}</td>
                      <td>
                        <button
                          type="button"
                          disabled={action.busy}
                          onClick={() => void end(session)}
                        >
                          {session.current ? 'Sign out' : 'End session'}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </View>
        <button
          type="button"
          class="danger"
          disabled={action.busy}
          onClick={() => void everywhere()}
        >
          Sign out everywhere
        </button>
      </section>
      <ChangePassword />
    </main>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const action = useAction();
  const mismatch = repeat !== '' && next !== repeat;

  async function submit(event: Event) {
    event.preventDefault();
    if (mismatch) return;
    const ok = await action.run(
      () => api.post('/auth/password', { currentPassword: current, newPassword: next }),
      'Password changed. Your other sessions were signed out.',
    );
    if (ok) {
      setCurrent('');
      setNext('');
      setRepeat('');
    }
  }

  return (
    <section class="card" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <p class="hint" id="policy">
        At least 12 characters, not a common password and not your username.
      </p>
      <ErrorMessage error={action.error} />
      <Done message={action.done} />
      <form onSubmit={(event) => void submit(event)}>
        <label for="current-password">Current password</label>
        <input
          id="current-password"
          type="password"
          autocomplete="current-password"
          required
          value={current}
          onInput={(event) => setCurrent(event.currentTarget.value)}
        />
        <label for="new-password">New password</label>
        <input
          id="new-password"
          type="password"
          autocomplete="new-password"
          aria-describedby="policy"
          required
          value={next}
          onInput={(event) => setNext(event.currentTarget.value)}
        />
        <label for="repeat-password">New password again</label>
        <input
          id="repeat-password"
          type="password"
          autocomplete="new-password"
          required
          aria-invalid={mismatch}
          aria-describedby={mismatch ? 'repeat-error' : undefined}
          value={repeat}
          onInput={(event) => setRepeat(event.currentTarget.value)}
        />
        {mismatch && (
          <p id="repeat-error" class="field-error">
            The two new passwords differ.
          </p>
        )}
        <button type="submit" class="primary" disabled={action.busy || mismatch}>
          Change password
        </button>
      </form>
    </section>
  );
}
