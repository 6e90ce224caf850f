/** `GET /api/v1/tokens/?page=N`: one page of the user's API tokens, newest first. */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type ApiTokenPage = ApiResponse<'/api/v1/tokens/', 'get', 200>;
export type ApiToken = ApiTokenPage['results'][number];

export const tokensQueryKey = ['tokens'] as const;

export function getTokens(page: number, signal?: AbortSignal): Promise<ApiTokenPage> {
  return api.get<ApiTokenPage>('/api/v1/tokens/', { query: { page }, signal });
}

export function tokensQueryOptions(page: number) {
  return queryOptions({
    queryKey: [...tokensQueryKey, { page }],
    queryFn: ({ signal }) => getTokens(page, signal),
    // Keeps the current rows on screen while the next page loads, instead of a flash of loading.
    placeholderData: keepPreviousData,
  });
}

export function useTokens(page: number) {
  return useQuery(tokensQueryOptions(page));
}
