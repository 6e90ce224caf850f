/** `GET /api/v1/sweeps/{id}/importances/`: each parameter's importance, computed on the server. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { sweepQueryKey } from './get-sweep';

export type ParamImportance = ApiResponse<
  '/api/v1/sweeps/{sweep_id}/importances/',
  'get',
  200
>[number];

export function useSweepImportances(sweepId: number) {
  return useQuery({
    queryKey: [...sweepQueryKey(sweepId), 'importances'],
    queryFn: ({ signal }) =>
      api.get<ParamImportance[]>(`/api/v1/sweeps/${sweepId}/importances/`, { signal }),
  });
}
