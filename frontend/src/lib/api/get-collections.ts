/**
 * `GET /api/v1/rag/collections/`: the document collections the user can see (their own and
 * those shared with them; `scope` keeps one side), newest first, with their access roles.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

export type CollectionPage = ApiResponse<'/api/v1/rag/collections/', 'get', 200>;
export type Collection = CollectionPage['results'][number];

export const collectionsQueryKey = ['rag', 'collections'] as const;

export function useCollections(scope?: 'mine' | 'shared') {
  return useQuery({
    queryKey: [...collectionsQueryKey, 'list', scope ?? 'all'],
    queryFn: ({ signal }) =>
      api.get<CollectionPage>('/api/v1/rag/collections/', {
        query: { page_size: 100, ...(scope ? { scope } : {}) },
        signal,
      }),
    placeholderData: keepPreviousData,
  });
}
