/** `GET /api/v1/decks/{id}/`: one deck (none asked for when `deckId` is null). */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { type Deck, decksQueryKey } from './get-decks';

export function useDeck(deckId: number | null) {
  return useQuery({
    queryKey: [...decksQueryKey, deckId],
    queryFn: ({ signal }) => api.get<Deck>(`/api/v1/decks/${deckId ?? 0}/`, { signal }),
    enabled: deckId !== null,
  });
}
