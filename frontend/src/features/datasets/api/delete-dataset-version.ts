/** `DELETE /api/v1/dataset-versions/{id}/`: deletes one version and frees its storage. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { datasetsQueryKey } from '../../../lib/api/get-datasets';
import { storageQueryKey } from './get-storage-usage';

export function deleteDatasetVersion(versionId: number): Promise<undefined> {
  return api.delete(`/api/v1/dataset-versions/${versionId}/`);
}

export function useDeleteDatasetVersion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteDatasetVersion,
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: datasetsQueryKey }),
        queryClient.invalidateQueries({ queryKey: storageQueryKey }),
      ]),
  });
}
