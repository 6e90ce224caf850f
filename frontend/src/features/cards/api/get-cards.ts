/** `GET /api/v1/decks/{id}/cards/`: a deck's cards with when each is next due. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { decksQueryKey } from './get-decks';

export type CardPage = ApiResponse<'/api/v1/decks/{deck_id}/cards/', 'get', 200>;
export type Card = CardPage['results'][number];

export function deckCardsQueryKey(deckId: number) {
  return [...decksQueryKey, deckId, 'cards'] as const;
}

export function useDeckCards(deckId: number) {
  return useQuery({
    queryKey: deckCardsQueryKey(deckId),
    queryFn: ({ signal }) =>
      api.get<CardPage>(`/api/v1/decks/${deckId}/cards/`, { query: { page_size: 500 }, signal }),
  });
}
