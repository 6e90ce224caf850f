/** `GET /api/v1/alerts/series/`: what a rule may watch (series, drift:<kind>, quota:<limit>). */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type AlertSeries = ApiResponse<'/api/v1/alerts/series/', 'get', 200>;

export function useAlertSeries() {
  return useQuery({
    queryKey: ['alerts', 'series'],
    queryFn: ({ signal }) => api.get<AlertSeries>('/api/v1/alerts/series/', { signal }),
    staleTime: Infinity,
  });
}
