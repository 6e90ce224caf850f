/**
 * `POST /api/v1/decks/{id}/generate/`: cards from a document's knowledge-graph facts or from a
 * conversation's answers. Asking twice adds only the cards not made before.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { cardsQueryKey } from './get-decks';

export type GenerateCardsInput = ApiRequestBody<'/api/v1/decks/{deck_id}/generate/', 'post'>;
export type GenerateCardsResult = ApiResponse<'/api/v1/decks/{deck_id}/generate/', 'post', 200>;

export function useGenerateCards(deckId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: GenerateCardsInput) =>
      api.post<GenerateCardsResult>(`/api/v1/decks/${deckId}/generate/`, input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: cardsQueryKey }),
  });
}
