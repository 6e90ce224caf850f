/** Experiments page. */
import { EmptyState } from '../../components/empty-state';
import { Page } from '../../components/page';

export function ExperimentsRoute() {
  return (
    <Page title="Experiments">
      <EmptyState
        title="No training runs yet"
        description="Training and fine-tuning runs, with their loss curves as they learn, will be listed here."
      />
    </Page>
  );
}
