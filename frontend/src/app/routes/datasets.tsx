/** Datasets page. */
import { EmptyState } from '../../components/empty-state';
import { Page } from '../../components/page';

export function DatasetsRoute() {
  return (
    <Page title="Datasets">
      <EmptyState
        title="No datasets yet"
        description="Text you upload to train or fine-tune models will be listed here."
      />
    </Page>
  );
}
