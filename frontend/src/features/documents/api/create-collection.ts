/** `POST /api/v1/rag/collections/`: a new, empty collection with its chunking settings. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody } from '../../../lib/api-client';
import { type Collection, collectionsQueryKey } from '../../../lib/api/get-collections';

export type CreateCollectionInput = ApiRequestBody<'/api/v1/rag/collections/', 'post'>;

export function useCreateCollection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateCollectionInput) =>
      api.post<Collection>('/api/v1/rag/collections/', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: collectionsQueryKey }),
  });
}
