/** `POST /api/v1/chat/messages/{id}/feedback/`: thumbs up or down on a reply ("" clears it). */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { type ChatMessage, normalizeMessage } from '../utils/chat-stream';
import { updateMessages } from './get-conversation';

export type FeedbackInput = ApiRequestBody<'/api/v1/chat/messages/{message_id}/feedback/', 'post'>;
type Answer = ApiResponse<'/api/v1/chat/messages/{message_id}/feedback/', 'post', 200>;

export async function sendFeedback(messageId: number, input: FeedbackInput): Promise<ChatMessage> {
  return normalizeMessage(
    await api.post<Answer>(`/api/v1/chat/messages/${messageId}/feedback/`, input),
  );
}

export function useSendFeedback(conversationId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ messageId, input }: { messageId: number; input: FeedbackInput }) =>
      sendFeedback(messageId, input),
    onSuccess: (message) =>
      updateMessages(queryClient, conversationId, (messages) =>
        messages.map((item) =>
          item.id === message.id
            ? { ...item, feedback: message.feedback, feedback_text: message.feedback_text }
            : item,
        ),
      ),
  });
}
