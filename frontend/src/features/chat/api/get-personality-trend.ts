/**
 * `GET /api/v1/chat/conversations/{id}/personality-trend/`: every finished reply scored
 * against the conversation's personality (alignment and every metric, by message id). Fetched
 * on demand only (scoring takes the server a moment), and again when a reply finishes or the
 * personality changes, since both are in its key.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { conversationQueryKey } from './get-conversation';

export type PersonalityTrend = ApiResponse<
  '/api/v1/chat/conversations/{conversation_id}/personality-trend/',
  'get',
  200
>;
export type ReplyScore = PersonalityTrend['texts'][number];

export function personalityTrendQueryKey(
  conversationId: number,
  versionId: number,
  finishedReplies: string,
) {
  return [
    ...conversationQueryKey(conversationId),
    'personality-trend',
    versionId,
    finishedReplies,
  ] as const;
}

export function usePersonalityTrend(
  conversationId: number,
  versionId: number,
  finishedReplies: string,
  enabled: boolean,
) {
  return useQuery({
    queryKey: personalityTrendQueryKey(conversationId, versionId, finishedReplies),
    queryFn: ({ signal }) =>
      api.get<PersonalityTrend>(`/api/v1/chat/conversations/${conversationId}/personality-trend/`, {
        signal,
      }),
    enabled,
    staleTime: Infinity, // finished replies do not change; the key changes when they do
  });
}
