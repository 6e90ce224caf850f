/**
 * `GET /api/v1/endpoints/`: the user's remote OpenAI-compatible endpoints with the models each
 * listed. Shared: the Endpoints page manages them, and every model picker offers their models.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

export type EndpointPage = ApiResponse<'/api/v1/endpoints/', 'get', 200>;
export type RemoteEndpoint = EndpointPage['results'][number];

export const endpointsQueryKey = ['endpoints'] as const;
// The server caps endpoints per user well below this, so one page holds them all.
const PAGE_SIZE = 100;

export function getEndpoints(signal?: AbortSignal): Promise<EndpointPage> {
  return api.get<EndpointPage>('/api/v1/endpoints/', { query: { page_size: PAGE_SIZE }, signal });
}

export function endpointsQueryOptions() {
  return queryOptions({
    queryKey: endpointsQueryKey,
    queryFn: ({ signal }) => getEndpoints(signal),
  });
}

export function useEndpoints() {
  return useQuery(endpointsQueryOptions());
}
