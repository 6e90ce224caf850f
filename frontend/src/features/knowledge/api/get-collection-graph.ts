/**
 * `GET /api/v1/collections/{id}/graph/?q=&limit=`: a collection's knowledge graph, the best
 * connected entities or, with `q`, the entities matching it and their neighbours.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type CollectionGraph = ApiResponse<'/api/v1/collections/{collection_id}/graph/', 'get', 200>;
export type GraphNode = CollectionGraph['nodes'][number];
export type GraphEdge = CollectionGraph['edges'][number];

export const knowledgeQueryKey = ['knowledge'] as const;

const NODE_LIMIT = 150;

export function useCollectionGraph(collectionId: number, search: string) {
  const q = search.trim();
  return useQuery({
    queryKey: [...knowledgeQueryKey, 'graph', collectionId, q],
    queryFn: ({ signal }) =>
      api.get<CollectionGraph>(`/api/v1/collections/${collectionId}/graph/`, {
        query: { q: q || undefined, limit: NODE_LIMIT },
        signal,
      }),
    // The drawing stays while a new search loads, instead of flashing empty.
    placeholderData: keepPreviousData,
  });
}
