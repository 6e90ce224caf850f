/** Chat page: `/chat` starts a conversation, `/chat/:conversationId` opens one. */
import { useParams } from 'react-router';

import { ChatPage } from '../../features/chat/components/chat-page';

export function ChatRoute() {
  const { conversationId } = useParams();
  const id = Number(conversationId);
  return <ChatPage conversationId={Number.isInteger(id) && id > 0 ? id : null} />;
}
