/** `GET /api/v1/personality-probes/`: the evaluation's probes, which a user picks a subset of. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type Probe = ApiResponse<'/api/v1/personality-probes/', 'get', 200>[number];

export function useProbes() {
  return useQuery({
    queryKey: ['personality-probes'],
    queryFn: ({ signal }) => api.get<Probe[]>('/api/v1/personality-probes/', { signal }),
    // The probe set ships with the server; it changes only with a release.
    staleTime: Infinity,
  });
}
