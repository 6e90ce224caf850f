/**
 * `GET /api/v1/decks/{id}/due/` or, across decks, `GET /api/v1/review/due/`: the cards due now,
 * soonest first.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { cardsQueryKey } from './get-decks';

export type DueCards = ApiResponse<'/api/v1/review/due/', 'get', 200>;
/** A due card with `next_due`: the due date each grade would give it now. */
export type DueCard = DueCards['results'][number];

const QUEUE_LENGTH = 50;

export function dueQueryKey(deckId: number | null) {
  return [...cardsQueryKey, 'due', deckId] as const;
}

export function useDueCards(deckId: number | null) {
  return useQuery({
    queryKey: dueQueryKey(deckId),
    queryFn: ({ signal }) =>
      api.get<DueCards>(deckId === null ? '/api/v1/review/due/' : `/api/v1/decks/${deckId}/due/`, {
        query: { limit: QUEUE_LENGTH },
        signal,
      }),
  });
}
