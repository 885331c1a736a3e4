import { Link } from '../../lib/router.tsx';
import { PageHeading } from '../../components/page-heading.tsx';

export function NotFoundPage() {
  return (
    <div className="page page--narrow">
      <PageHeading>Page not found</PageHeading>
      <p>
        There is nothing at this address. <Link to="/">Go to your projects</Link>.
      </p>
    </div>
  );
}
