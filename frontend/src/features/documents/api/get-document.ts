/** `GET /api/v1/rag/documents/{id}/`: one document, to open its collection from a citation. */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { collectionsQueryKey } from '../../../lib/api/get-collections';
import type { RagDocument } from './get-documents';

export function useDocument(documentId: number | null) {
  return useQuery({
    queryKey: [...collectionsQueryKey, 'document', documentId],
    queryFn: ({ signal }) =>
      api.get<RagDocument>(`/api/v1/rag/documents/${documentId ?? 0}/`, { signal }),
    enabled: documentId !== null,
  });
}
