/** `GET /api/v1/sweeps/`: the user's sweeps, optionally those of one experiment. */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type SweepPage = ApiResponse<'/api/v1/sweeps/', 'get', 200>;
export type Sweep = SweepPage['results'][number];

export const sweepsQueryKey = ['sweeps'] as const;

export function sweepsQueryOptions(experimentId: number | null) {
  return queryOptions({
    queryKey: [...sweepsQueryKey, 'list', experimentId],
    queryFn: ({ signal }) =>
      api.get<SweepPage>('/api/v1/sweeps/', {
        query:
          experimentId === null ? { page_size: 100 } : { page_size: 100, experiment: experimentId },
        signal,
      }),
  });
}

export function useSweeps(experimentId: number | null) {
  return useQuery(sweepsQueryOptions(experimentId));
}
