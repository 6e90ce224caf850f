/** `DELETE /api/v1/rag/collections/{id}/`: removes a collection with its documents and chunks. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { collectionsQueryKey } from '../../../lib/api/get-collections';

export function useDeleteCollection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (collectionId: number) => api.delete(`/api/v1/rag/collections/${collectionId}/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: collectionsQueryKey }),
  });
}
