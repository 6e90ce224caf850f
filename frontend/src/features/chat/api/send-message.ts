/**
 * `POST /api/v1/chat/conversations/{id}/messages/`: sends a message without the socket, for the
 * moments it is not connected. The reply still streams to the conversation's socket.
 */
import { api, type ApiResponse } from '../../../lib/api-client';
import { type ChatMessage, normalizeMessage } from '../utils/chat-stream';

type Sent = ApiResponse<'/api/v1/chat/conversations/{conversation_id}/messages/', 'post', 202>;

export async function sendMessage(
  conversationId: number,
  content: string,
): Promise<{ message: ChatMessage; reply: ChatMessage }> {
  const sent = await api.post<Sent>(`/api/v1/chat/conversations/${conversationId}/messages/`, {
    content,
  });
  return { message: normalizeMessage(sent.message), reply: normalizeMessage(sent.reply) };
}
