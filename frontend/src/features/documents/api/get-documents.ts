/**
 * `GET /api/v1/rag/collections/{id}/documents/`: a collection's documents with their status
 * and chunk counts. Polls while any is still pending or processing, so statuses settle even
 * when the notifications socket is down.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { collectionsQueryKey } from '../../../lib/api/get-collections';

export type DocumentPage = ApiResponse<
  '/api/v1/rag/collections/{collection_id}/documents/',
  'get',
  200
>;
export type RagDocument = DocumentPage['results'][number];
export type DocumentStatus = 'pending' | 'processing' | 'ready' | 'failed';

const POLL_WHILE_EMBEDDING_MS = 3_000;

export function isEmbedding(document: RagDocument): boolean {
  return document.status === 'pending' || document.status === 'processing';
}

export function documentsQueryKey(collectionId: number) {
  return [...collectionsQueryKey, collectionId, 'documents'] as const;
}

export function useDocuments(collectionId: number) {
  return useQuery({
    queryKey: documentsQueryKey(collectionId),
    queryFn: ({ signal }) =>
      api.get<DocumentPage>(`/api/v1/rag/collections/${collectionId}/documents/`, {
        query: { page_size: 500 },
        signal,
      }),
    refetchInterval: (query) =>
      query.state.data?.results.some(isEmbedding) ? POLL_WHILE_EMBEDDING_MS : false,
  });
}
