/** `DELETE /api/v1/datasets/{id}/`: deletes a dataset with all its versions, freeing storage. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { datasetsQueryKey } from '../../../lib/api/get-datasets';
import { storageQueryKey } from './get-storage-usage';

export function deleteDataset(datasetId: number): Promise<undefined> {
  return api.delete(`/api/v1/datasets/${datasetId}/`);
}

export function useDeleteDataset() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteDataset,
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: datasetsQueryKey }),
        queryClient.invalidateQueries({ queryKey: storageQueryKey }),
      ]),
  });
}
