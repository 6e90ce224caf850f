/**
 * `GET /api/v1/chat/conversations/{id}/`: one conversation with its settings and messages. The
 * socket writes streamed text into this same cache entry, so a refetch while a reply streams
 * merges with what arrived live instead of replacing it (see `mergeServerMessages`).
 */
import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { type ChatMessage, mergeServerMessages, normalizeMessage } from '../utils/chat-stream';
import { type ConversationPage, conversationsQueryKey } from './get-conversations';

type RawDetail = ApiResponse<'/api/v1/chat/conversations/{conversation_id}/', 'get', 200>;
export type ConversationDetail = Omit<RawDetail, 'messages'> & { messages: ChatMessage[] };

export function conversationQueryKey(conversationId: number) {
  return [...conversationsQueryKey, 'detail', conversationId] as const;
}

/** The raw answer with every message's defaulted fields filled in. */
export function normalizeDetail(raw: RawDetail): ConversationDetail {
  return { ...raw, messages: raw.messages.map(normalizeMessage) };
}

export async function getConversation(
  conversationId: number,
  signal?: AbortSignal,
): Promise<ConversationDetail> {
  const raw = await api.get<RawDetail>(`/api/v1/chat/conversations/${conversationId}/`, {
    signal,
  });
  return normalizeDetail(raw);
}

export function useConversation(conversationId: number) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: conversationQueryKey(conversationId),
    queryFn: async ({ signal }) => {
      const fresh = await getConversation(conversationId, signal);
      const current = queryClient.getQueryData<ConversationDetail>(
        conversationQueryKey(conversationId),
      );
      if (current === undefined) return fresh;
      return { ...fresh, messages: mergeServerMessages(current.messages, fresh.messages) };
    },
  });
}

/** Applies `update` to the cached messages of a conversation, if it is cached. */
export function updateMessages(
  queryClient: QueryClient,
  conversationId: number,
  update: (messages: ChatMessage[]) => ChatMessage[],
): void {
  queryClient.setQueryData<ConversationDetail>(conversationQueryKey(conversationId), (detail) =>
    detail ? { ...detail, messages: update(detail.messages) } : detail,
  );
}

/** Shows a conversation's new title wherever it is cached: its page and every list. */
export function renameConversation(
  queryClient: QueryClient,
  conversationId: number,
  title: string,
): void {
  queryClient.setQueryData<ConversationDetail>(conversationQueryKey(conversationId), (detail) =>
    detail ? { ...detail, title } : detail,
  );
  queryClient.setQueriesData<ConversationPage>(
    { queryKey: [...conversationsQueryKey, 'list'] },
    (page) =>
      page && {
        ...page,
        results: page.results.map((item) =>
          item.id === conversationId ? { ...item, title } : item,
        ),
      },
  );
}
