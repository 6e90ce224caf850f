/** `GET /api/v1/me/`: the signed-in user. */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

export type Me = ApiResponse<'/api/v1/me/', 'get', 200>;

export function getMe(signal?: AbortSignal): Promise<Me> {
  return api.get<Me>('/api/v1/me/', { signal });
}

export const meQueryOptions = queryOptions({
  queryKey: ['me'],
  queryFn: ({ signal }) => getMe(signal),
  // Who is signed in does not change while the page lives; logging out leaves the page.
  staleTime: Infinity,
});

export function useMe() {
  return useQuery(meQueryOptions);
}
