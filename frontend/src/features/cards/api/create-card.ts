/** `POST /api/v1/decks/{id}/cards/`: a card written by hand, basic (front/back) or cloze. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody } from '../../../lib/api-client';
import type { Card } from './get-cards';
import { cardsQueryKey } from './get-decks';

export type CreateCardInput = ApiRequestBody<'/api/v1/decks/{deck_id}/cards/', 'post'>;

export function useCreateCard(deckId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateCardInput) => api.post<Card>(`/api/v1/decks/${deckId}/cards/`, input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: cardsQueryKey }),
  });
}
