/** Dashboard page. */
import { EmptyState } from '../../components/empty-state';
import { Page } from '../../components/page';

export function DashboardRoute() {
  return (
    <Page title="Dashboard">
      <EmptyState
        title="Nothing to show yet"
        description="Your latest training runs, models and conversations will be summarised here once you have some."
      />
    </Page>
  );
}
