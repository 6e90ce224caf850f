/** `DELETE /api/v1/models/{id}/`: removes a model with all its versions and files. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { modelsQueryKey } from '../../../lib/api/get-models';

export function deleteModel(modelId: number): Promise<undefined> {
  return api.delete(`/api/v1/models/${modelId}/`);
}

export function useDeleteModel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteModel,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelsQueryKey }),
  });
}
