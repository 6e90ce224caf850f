/**
 * The Chat page (`/chat` and `/chat/:conversationId`): conversations on the left, the open
 * conversation (or a new one) in the middle, its settings on the right.
 */
import { Page } from '../../../components/page';
import styles from './chat.module.css';
import { ConversationList } from './conversation-list';
import { ConversationView } from './conversation-view';
import { NewConversation } from './new-conversation';

export function ChatPage({ conversationId }: { conversationId: number | null }) {
  return (
    <Page title="Chat">
      <div className={styles.layout}>
        <ConversationList activeId={conversationId} />
        {conversationId === null ? (
          <NewConversation />
        ) : (
          <ConversationView key={conversationId} conversationId={conversationId} />
        )}
      </div>
    </Page>
  );
}
