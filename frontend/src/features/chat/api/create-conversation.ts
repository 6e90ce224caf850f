/** `POST /api/v1/chat/conversations/`: a new conversation with a model and its settings. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { conversationsQueryKey } from './get-conversations';
import { conversationQueryKey, type ConversationDetail, normalizeDetail } from './get-conversation';

export type CreateConversationInput = ApiRequestBody<'/api/v1/chat/conversations/', 'post'>;
type Created = ApiResponse<'/api/v1/chat/conversations/', 'post', 201>;

export async function createConversation(
  input: CreateConversationInput,
): Promise<ConversationDetail> {
  return normalizeDetail(await api.post<Created>('/api/v1/chat/conversations/', input));
}

export function useCreateConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createConversation,
    onSuccess: (detail) => {
      queryClient.setQueryData(conversationQueryKey(detail.id), detail);
      return queryClient.invalidateQueries({
        queryKey: [...conversationsQueryKey, 'list'],
      });
    },
  });
}
