/** `GET /api/v1/rag/collections/`: the user's document collections, newest first. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

export type CollectionPage = ApiResponse<'/api/v1/rag/collections/', 'get', 200>;
export type Collection = CollectionPage['results'][number];

export const collectionsQueryKey = ['rag', 'collections'] as const;

export function useCollections() {
  return useQuery({
    queryKey: [...collectionsQueryKey, 'list'],
    queryFn: ({ signal }) =>
      api.get<CollectionPage>('/api/v1/rag/collections/', { query: { page_size: 100 }, signal }),
  });
}
