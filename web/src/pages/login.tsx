import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, messageFor, type User } from '../api';
import { navigate, safeNext } from '../router';
import { ErrorMessage, PageTitle } from '../ui';

/** Seconds left until `until` (epoch ms), ticking every second while above zero. */
function useCountdown(until: number | undefined): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (until === undefined || until <= Date.now()) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [until]);
  return until === undefined ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}

export function LoginPage(props: {
  notice?: string;
  next: string | null;
  onSignedIn: (user: User) => void;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [until, setUntil] = useState<number | undefined>(undefined);
  const secondsLeft = useCountdown(until);
  const usernameInput = useRef<HTMLInputElement>(null);

  useEffect(() => usernameInput.current?.focus(), []);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await call<{ user: User }>(
        'POST',
        '/auth/login',
        { username, password },
        { anonymous: true },
      );
      props.onSignedIn(answer.user);
      navigate(safeNext(props.next), true);
    } catch (caught) {
      setError(caught);
      setPassword('');
      if (caught instanceof ApiError && caught.retryAfter !== undefined)
        setUntil(Date.now() + caught.retryAfter * 1000);
      else setUntil(undefined);
    } finally {
      setBusy(false);
    }
  }

  const waiting = secondsLeft > 0;
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <main id="main" class="narrow">
      <PageTitle>Sign in</PageTitle>
      {props.notice && !error && (
        <p class="alert info" role="status">
          {props.notice}
        </p>
      )}
      {error !== undefined &&
      (code === 'TOO_MANY_ATTEMPTS' || code === 'LOGIN_BUSY' || code === 'RATE_LIMITED') ? (
        <div class="alert error" role="alert" data-testid="login-refused">
          {messageFor(error)}{' '}
          {waiting ? (
            <span>
              Try again in <span data-testid="countdown">{secondsLeft}</span> s.
            </span>
          ) : (
            <span>You can try again now.</span>
          )}
        </div>
      ) : (
        error !== undefined && <ErrorMessage error={error} />
      )}
      <form class="card" onSubmit={(event) => void submit(event)} aria-busy={busy}>
        <label for="username">Username</label>
        <input
          id="username"
          ref={usernameInput}
          name="username"
          autocomplete="username"
          required
          maxLength={128}
          value={username}
          onInput={(event) => setUsername(event.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          maxLength={1024}
          value={password}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
        <button type="submit" class="primary" disabled={busy || waiting}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
