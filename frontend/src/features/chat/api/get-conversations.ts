/**
 * `GET /api/v1/chat/conversations/?search=`: the user's conversations and those shared with
 * them (read-only; `scope` keeps one side), latest activity first, with their access roles.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type ConversationPage = ApiResponse<'/api/v1/chat/conversations/', 'get', 200>;
export type Conversation = ConversationPage['results'][number];

export const conversationsQueryKey = ['chat', 'conversations'] as const;

type Scope = 'mine' | 'shared' | undefined;

export function getConversations(
  search: string,
  scope: Scope,
  signal?: AbortSignal,
): Promise<ConversationPage> {
  return api.get<ConversationPage>('/api/v1/chat/conversations/', {
    query: { search: search.trim() || undefined, page_size: 100, scope },
    signal,
  });
}

export function useConversations(search: string, scope?: Scope) {
  return useQuery({
    queryKey: [...conversationsQueryKey, 'list', search.trim(), scope ?? 'all'],
    queryFn: ({ signal }) => getConversations(search, scope, signal),
    // Keeps the list on screen while a new search runs, instead of flashing "Loading".
    placeholderData: keepPreviousData,
  });
}
