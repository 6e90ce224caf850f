/** Any app path that matches no page. */
import { Link } from 'react-router';

import { EmptyState } from '../../components/empty-state';
import { Page } from '../../components/page';

export function NotFoundRoute() {
  return (
    <Page title="Page not found">
      <EmptyState
        title="There is nothing at this address"
        description="The link may be old or mistyped."
        action={<Link to="/">Go to the dashboard</Link>}
      />
    </Page>
  );
}
