/**
 * `POST /api/v1/cards/{id}/review/`: one grade. `client_review_id` makes a retry safe (the server
 * answers the first result again) and `revision` makes a grade given in another tab meanwhile a
 * 409 instead of a second review.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { cardsQueryKey } from './get-decks';

export type ReviewInput = ApiRequestBody<'/api/v1/cards/{card_id}/review/', 'post'>;
export type ReviewResult = ApiResponse<'/api/v1/cards/{card_id}/review/', 'post', 200>;

export function useReviewCard() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ cardId, input }: { cardId: number; input: ReviewInput }) =>
      api.post<ReviewResult>(`/api/v1/cards/${cardId}/review/`, input),
    onSettled: () => queryClient.invalidateQueries({ queryKey: cardsQueryKey }),
  });
}
