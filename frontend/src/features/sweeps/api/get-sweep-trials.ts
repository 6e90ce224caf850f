/** `GET /api/v1/sweeps/{id}/trials/`: every trial with its params, state and objective. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { POLL_WHILE_RUNNING_MS, sweepQueryKey } from './get-sweep';

type RawTrial = ApiResponse<'/api/v1/sweeps/{sweep_id}/trials/', 'get', 200>[number];
/** The schema types params as free JSON: they are the trial's parameter values by name. */
export type Trial = Omit<RawTrial, 'params' | 'state'> & {
  params: Record<string, unknown>;
  state: NonNullable<RawTrial['state']>;
};

/** `live`: the sweep is running, so the list polls as the sweep does. */
export function useSweepTrials(sweepId: number, live: boolean) {
  return useQuery({
    refetchInterval: live ? POLL_WHILE_RUNNING_MS : false,
    queryKey: [...sweepQueryKey(sweepId), 'trials'],
    queryFn: ({ signal }) => api.get<Trial[]>(`/api/v1/sweeps/${sweepId}/trials/`, { signal }),
  });
}
