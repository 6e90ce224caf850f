/** Personalities page. */
import { EmptyState } from '../../components/empty-state';
import { Page } from '../../components/page';

export function PersonalitiesRoute() {
  return (
    <Page title="Personalities">
      <EmptyState
        title="No personalities yet"
        description="Personalities you give your models, with how strongly each one shows, will be listed here."
      />
    </Page>
  );
}
