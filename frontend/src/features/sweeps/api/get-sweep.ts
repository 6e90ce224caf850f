/** `GET /api/v1/sweeps/{id}/`: one sweep with its budget, status and best trial. */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { type Sweep, sweepsQueryKey } from './get-sweeps';

export function sweepQueryKey(sweepId: number) {
  return [...sweepsQueryKey, 'detail', sweepId] as const;
}

export function useSweep(sweepId: number) {
  return useQuery({
    queryKey: sweepQueryKey(sweepId),
    queryFn: ({ signal }) => api.get<Sweep>(`/api/v1/sweeps/${sweepId}/`, { signal }),
  });
}
