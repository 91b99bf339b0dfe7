import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, messageFor, setSignedOutListener, type User } from './api';
import { AccountPage } from './pages/account';
import { BlocksPage } from './pages/blocks';
import { EventsPage } from './pages/events';
import { IntegrityPage } from './pages/integrity';
import { LoginPage } from './pages/login';
import { NotFoundPage } from './pages/not-found';
import { OverviewPage } from './pages/overview';
import { ReviewPage, ReviewsPage } from './pages/reviews';
import { UsersPage } from './pages/users';
import { Link, navigate, useLocation } from './router';
import { ErrorMessage, Loading } from './ui';

const ADMIN_LINKS: [string, string][] = [
  ['/admin', 'Overview'],
  ['/admin/users', 'Users'],
  ['/admin/events', 'Audit events'],
  ['/admin/reviews', 'Reviews'],
  ['/admin/blocks', 'Blocks'],
  ['/admin/integrity', 'Integrity'],
];

type Session =
  | { state: 'loading' }
  | { state: 'out'; notice?: string }
  | { state: 'in'; user: User }
  | { state: 'error'; error: unknown };

export function App() {
  const { path, search } = useLocation();
  const [session, setSession] = useState<Session>({ state: 'loading' });

  useEffect(() => {
    setSignedOutListener((notice) => {
      setSession({ state: 'out', notice });
      if (location.pathname !== '/login')
        navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
    });
    api.get<User>('/auth/me').then(
      (user) => setSession({ state: 'in', user }),
      (error: unknown) => {
        // The listener has already sent a signed-out visitor to the sign-in page.
        if (error instanceof ApiError && error.status === 401) setSession({ state: 'out' });
        else setSession({ state: 'error', error });
      },
    );
  }, []);

  // Focus the heading of each new page, so keyboard and screen-reader users start there.
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [path, session.state]);

  if (session.state === 'loading') return <Loading label="Loading the console…" />;
  if (session.state === 'error')
    return (
      <main id="main" class="narrow">
        <h1>Gatehouse</h1>
        <ErrorMessage error={session.error} title="The console could not start." />
        <button type="button" onClick={() => location.reload()}>
          Try again
        </button>
      </main>
    );

  if (session.state === 'out' || path === '/login') {
    if (session.state === 'in' && path === '/login') {
      navigate('/', true);
      return <Loading />;
    }
    if (path !== '/login') {
      navigate(`/login?next=${encodeURIComponent(path + location.search)}`, true);
      return <Loading />;
    }
    return (
      <>
        <Header />
        <LoginPage
          notice={session.state === 'out' ? session.notice : undefined}
          next={search.get('next')}
          onSignedIn={(user) => setSession({ state: 'in', user })}
        />
      </>
    );
  }

  const user = session.user;
  const isAdmin = user.roles.includes('admin');
  const signOut = (notice: string) => {
    setSession({ state: 'out', notice });
    navigate('/login', true);
  };

  return (
    <>
      <Header user={user} isAdmin={isAdmin} path={path} onSignedOut={signOut} />
      <Page key={path} path={path} user={user} isAdmin={isAdmin} onSignedOut={signOut} />
    </>
  );
}

function Page(props: {
  path: string;
  user: User;
  isAdmin: boolean;
  onSignedOut: (notice: string) => void;
}) {
  const { path } = props;
  if (path === '/' || path === '/account')
    return <AccountPage user={props.user} onSignedOut={props.onSignedOut} />;
  // Admin pages do not exist for anyone else (the API refuses them anyway).
  if (!props.isAdmin || !(path === '/admin' || path.startsWith('/admin/'))) return <NotFoundPage />;
  if (path === '/admin') return <OverviewPage />;
  if (path === '/admin/users') return <UsersPage me={props.user} />;
  if (path === '/admin/events') return <EventsPage />;
  if (path === '/admin/reviews') return <ReviewsPage />;
  if (path.startsWith('/admin/reviews/'))
    return <ReviewPage id={decodeURIComponent(path.slice('/admin/reviews/'.length))} />;
  if (path === '/admin/blocks') return <BlocksPage />;
  if (path === '/admin/integrity') return <IntegrityPage />;
  return <NotFoundPage />;
}

function Header(props: {
  user?: User;
  isAdmin?: boolean;
  path?: string;
  onSignedOut?: (notice: string) => void;
}) {
  const [error, setError] = useState<unknown>(undefined);
  async function logout() {
    try {
      await api.post('/auth/logout');
      props.onSignedOut?.('You signed out.');
    } catch (caught) {
      setError(caught);
    }
  }
  const link = (href: string, label: string) => (
    <li key={href}>
      <Link
        href={href}
        current={
          props.path === href ||
          (href !== '/admin' && href !== '/' && props.path?.startsWith(`${href}/`))
        }
      >
        {label}
      </Link>
    </li>
  );
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <div class="brand">Gatehouse</div>
      {props.user && (
        <nav aria-label="Main">
          <ul>
            {link('/account', 'Account')}
            {props.isAdmin && ADMIN_LINKS.map(([href, label]) => link(href, label))}
          </ul>
        </nav>
      )}
      {props.user && (
        <div class="who">
          <span>{props.user.username}</span>
          <button type="button" onClick={() => void logout()}>
            Sign out
          </button>
          {error !== undefined && (
            <span role="alert" class="field-error">
              {messageFor(error)}
            </span>
          )}
        </div>
      )}
    </header>
  );
}
