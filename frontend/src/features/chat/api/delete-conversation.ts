/** `DELETE /api/v1/chat/conversations/{id}/`: removes a conversation and its messages. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { conversationsQueryKey } from './get-conversations';
import { conversationQueryKey } from './get-conversation';

export function deleteConversation(conversationId: number): Promise<undefined> {
  return api.delete(`/api/v1/chat/conversations/${conversationId}/`);
}

export function useDeleteConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteConversation,
    onSuccess: (_result, conversationId) => {
      queryClient.removeQueries({ queryKey: conversationQueryKey(conversationId) });
      return queryClient.invalidateQueries({ queryKey: [...conversationsQueryKey, 'list'] });
    },
  });
}
