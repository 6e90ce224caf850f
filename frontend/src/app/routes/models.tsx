/** Models page. */
import { EmptyState } from '../../components/empty-state';
import { Page } from '../../components/page';

export function ModelsRoute() {
  return (
    <Page title="Models">
      <EmptyState
        title="No models yet"
        description="Your trained model versions and their quantized .sou files will be listed here."
      />
    </Page>
  );
}
