/**
 * `PATCH /api/v1/chat/conversations/{id}/`: rename, or change the model, export type,
 * personality, system prompt, sampling settings or attached collections. The answer carries
 * the messages too, but the cached ones are kept: they may hold text still streaming.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { type ApiRequestBody, type ApiResponse, request } from '../../../lib/api-client';
import { conversationsQueryKey } from './get-conversations';
import { conversationQueryKey, type ConversationDetail, normalizeDetail } from './get-conversation';

export type UpdateConversationInput = ApiRequestBody<
  '/api/v1/chat/conversations/{conversation_id}/',
  'patch'
>;
type Updated = ApiResponse<'/api/v1/chat/conversations/{conversation_id}/', 'patch', 200>;

export async function updateConversation(
  conversationId: number,
  input: UpdateConversationInput,
): Promise<ConversationDetail> {
  const raw = await request<Updated>(`/api/v1/chat/conversations/${conversationId}/`, {
    method: 'PATCH',
    body: input,
  });
  return normalizeDetail(raw);
}

export function useUpdateConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: number; input: UpdateConversationInput }) =>
      updateConversation(id, input),
    onSuccess: (detail) => {
      queryClient.setQueryData<ConversationDetail>(conversationQueryKey(detail.id), (current) =>
        current ? { ...detail, messages: current.messages } : detail,
      );
      return queryClient.invalidateQueries({ queryKey: [...conversationsQueryKey, 'list'] });
    },
  });
}
