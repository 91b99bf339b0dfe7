import { Link } from '../router';
import { PageTitle } from '../ui';

export function NotFoundPage() {
  return (
    <main id="main" class="narrow">
      <PageTitle>Page not found</PageTitle>
      <p>There is no such page in the console.</p>
      <p>
        <Link href="/">Go to the start page</Link>
      </p>
    </main>
  );
}
