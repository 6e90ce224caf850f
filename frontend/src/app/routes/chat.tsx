/** Chat page. */
import { EmptyState } from '../../components/empty-state';
import { Page } from '../../components/page';

export function ChatRoute() {
  return (
    <Page title="Chat">
      <EmptyState
        title="No conversations yet"
        description="Conversations with your models, streamed as they answer, will live here."
      />
    </Page>
  );
}
