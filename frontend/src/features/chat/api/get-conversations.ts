/** `GET /api/v1/chat/conversations/?search=`: the user's conversations, latest activity first. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type ConversationPage = ApiResponse<'/api/v1/chat/conversations/', 'get', 200>;
export type Conversation = ConversationPage['results'][number];

export const conversationsQueryKey = ['chat', 'conversations'] as const;

export function getConversations(search: string, signal?: AbortSignal): Promise<ConversationPage> {
  return api.get<ConversationPage>('/api/v1/chat/conversations/', {
    query: { search: search.trim() || undefined, page_size: 100 },
    signal,
  });
}

export function useConversations(search: string) {
  return useQuery({
    queryKey: [...conversationsQueryKey, 'list', search.trim()],
    queryFn: ({ signal }) => getConversations(search, signal),
    // Keeps the list on screen while a new search runs, instead of flashing "Loading".
    placeholderData: keepPreviousData,
  });
}
