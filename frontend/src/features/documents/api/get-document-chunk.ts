/** `GET /api/v1/rag/documents/{id}/chunks/{index}/`: one part of a document, read in place. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { collectionsQueryKey } from '../../../lib/api/get-collections';

export type DocumentChunk = ApiResponse<
  '/api/v1/rag/documents/{document_id}/chunks/{chunk_index}/',
  'get',
  200
>;

export function useDocumentChunk(documentId: number, chunkIndex: number) {
  return useQuery({
    queryKey: [...collectionsQueryKey, 'document', documentId, 'chunk', chunkIndex],
    queryFn: ({ signal }) =>
      api.get<DocumentChunk>(`/api/v1/rag/documents/${documentId}/chunks/${chunkIndex}/`, {
        signal,
      }),
    // Stepping to the next part keeps this one on screen until that one arrives.
    placeholderData: keepPreviousData,
  });
}
