/**
 * `GET /api/v1/rag/collections/{id}/documents/`, for the "generate from a document" picker: the
 * ready documents of one collection (none asked for until a collection is chosen).
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { cardsQueryKey } from './get-decks';

type DocumentPage = ApiResponse<'/api/v1/rag/collections/{collection_id}/documents/', 'get', 200>;

export function useCollectionDocuments(collectionId: number | null) {
  return useQuery({
    queryKey: [...cardsQueryKey, 'source-documents', collectionId],
    queryFn: ({ signal }) =>
      api.get<DocumentPage>(`/api/v1/rag/collections/${collectionId ?? 0}/documents/`, {
        query: { page_size: 500 },
        signal,
      }),
    enabled: collectionId !== null,
    select: (page) => page.results.filter((document) => document.status === 'ready'),
  });
}
