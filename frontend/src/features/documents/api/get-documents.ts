/**
 * `GET /api/v1/rag/collections/{id}/documents/`: a collection's documents with their status
 * and chunk counts, and what the knowledge graph read from each. Polls while any is still being
 * embedded or read for its graph, so statuses settle even when the notifications socket is down.
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

export function isReadingGraph(document: RagDocument): boolean {
  return (
    document.status !== 'failed' &&
    (document.graph_status === 'pending' || document.graph_status === 'building')
  );
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
      query.state.data?.results.some((item) => isEmbedding(item) || isReadingGraph(item))
        ? POLL_WHILE_EMBEDDING_MS
        : false,
  });
}
