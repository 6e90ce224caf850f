/**
 * `GET /api/v1/sweeps/{id}/`: one sweep with its budget, status and best trial. While it runs
 * it polls slowly too, so it moves on even when the notifications socket is down.
 */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { type Sweep, sweepsQueryKey } from './get-sweeps';

export function sweepQueryKey(sweepId: number) {
  return [...sweepsQueryKey, 'detail', sweepId] as const;
}

export const POLL_WHILE_RUNNING_MS = 10_000;

export function useSweep(sweepId: number) {
  return useQuery({
    queryKey: sweepQueryKey(sweepId),
    queryFn: ({ signal }) => api.get<Sweep>(`/api/v1/sweeps/${sweepId}/`, { signal }),
    refetchInterval: (query) =>
      query.state.data?.status === 'running' ? POLL_WHILE_RUNNING_MS : false,
  });
}
