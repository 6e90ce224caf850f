/**
 * `GET /api/v1/arena/battles/?conversation_id=`: the comparisons made in one conversation,
 * newest first, kept live by the chat socket (`utils/battle-stream`).
 */
import { type QueryClient, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type BattlePage = ApiResponse<'/api/v1/arena/battles/', 'get', 200>;
export type Battle = BattlePage['results'][number];
export type BattleSide = Battle['sides'][number];
export type Vote = NonNullable<Battle['vote']>;

export const battlesQueryKey = (conversationId: number) =>
  ['chat', 'battles', conversationId] as const;

export function getBattles(conversationId: number, signal?: AbortSignal): Promise<Battle[]> {
  return api
    .get<BattlePage>('/api/v1/arena/battles/', {
      query: { conversation_id: conversationId, page_size: 20 },
      signal,
    })
    .then((page) => page.results);
}

export function useBattles(conversationId: number) {
  return useQuery({
    queryKey: battlesQueryKey(conversationId),
    queryFn: ({ signal }) => getBattles(conversationId, signal),
  });
}

/** Change the cached battles of a conversation (a socket event arrived). */
export function updateBattles(
  queryClient: QueryClient,
  conversationId: number,
  update: (battles: Battle[]) => Battle[],
): void {
  queryClient.setQueryData<Battle[]>(battlesQueryKey(conversationId), (battles) =>
    update(battles ?? []),
  );
}
