/** `DELETE /api/v1/rag/documents/{id}/`: removes a document and its chunks from retrieval. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { collectionsQueryKey } from '../../../lib/api/get-collections';

export function useDeleteDocument() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (documentId: number) => api.delete(`/api/v1/rag/documents/${documentId}/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: collectionsQueryKey }),
  });
}
