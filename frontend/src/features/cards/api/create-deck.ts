/** `POST /api/v1/decks/`: a new, empty deck. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody } from '../../../lib/api-client';
import { type Deck, decksQueryKey } from './get-decks';

export type CreateDeckInput = ApiRequestBody<'/api/v1/decks/', 'post'>;

export function useCreateDeck() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateDeckInput) => api.post<Deck>('/api/v1/decks/', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: decksQueryKey }),
  });
}
