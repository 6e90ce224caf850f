/** `DELETE /api/v1/decks/{id}/`: a deck with its cards and their review history. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { cardsQueryKey } from './get-decks';

export function useDeleteDeck() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (deckId: number) => api.delete(`/api/v1/decks/${deckId}/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: cardsQueryKey }),
  });
}
