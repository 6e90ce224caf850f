/** `GET /api/v1/usage/`: the user's use of each limit of their plan. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type Usage = ApiResponse<'/api/v1/usage/', 'get', 200>;

export const usageQueryKey = ['usage'] as const;

export function getUsage(signal?: AbortSignal): Promise<Usage> {
  return api.get<Usage>('/api/v1/usage/', { signal });
}

export function useUsage() {
  return useQuery({ queryKey: usageQueryKey, queryFn: ({ signal }) => getUsage(signal) });
}
