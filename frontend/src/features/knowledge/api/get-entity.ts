/**
 * `GET /api/v1/entities/{id}/`: one entity with its aliases, neighbours and the edges between
 * them, each with the sentence it was read from and where (document, part, offsets).
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { knowledgeQueryKey } from './get-collection-graph';

export type EntityDetail = ApiResponse<'/api/v1/entities/{entity_id}/', 'get', 200>;
export type EntityEdge = EntityDetail['edges'][number];

export function useEntity(entityId: number | null) {
  return useQuery({
    queryKey: [...knowledgeQueryKey, 'entity', entityId],
    queryFn: ({ signal }) =>
      api.get<EntityDetail>(`/api/v1/entities/${entityId ?? 0}/`, { signal }),
    enabled: entityId !== null,
  });
}
