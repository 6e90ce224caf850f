/** `GET /api/v1/decks/`: the user's decks of cards, with how many cards each holds and has due. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type DeckPage = ApiResponse<'/api/v1/decks/', 'get', 200>;
export type Deck = DeckPage['results'][number];

/** Every cards query starts with this, so a review refreshes decks, queues and statistics. */
export const cardsQueryKey = ['cards'] as const;
export const decksQueryKey = [...cardsQueryKey, 'decks'] as const;

export function useDecks() {
  return useQuery({
    queryKey: decksQueryKey,
    queryFn: ({ signal }) =>
      api.get<DeckPage>('/api/v1/decks/', { query: { page_size: 100 }, signal }),
  });
}
