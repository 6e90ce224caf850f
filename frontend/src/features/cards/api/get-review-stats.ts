/**
 * `GET /api/v1/review/stats/`: cards due today and now, reviews per day (30 days), retention
 * and the forecast of due cards (30 days).
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { cardsQueryKey } from './get-decks';

export type ReviewStats = ApiResponse<'/api/v1/review/stats/', 'get', 200>;

export function useReviewStats() {
  return useQuery({
    queryKey: [...cardsQueryKey, 'stats'],
    queryFn: ({ signal }) => api.get<ReviewStats>('/api/v1/review/stats/', { signal }),
  });
}
