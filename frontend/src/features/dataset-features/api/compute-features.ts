/** `POST /api/v1/dataset-versions/{id}/features/`: computes the groups not yet computed. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { versionFeaturesQueryKey } from './get-version-features';
import type { Materialization } from './types';

export function useComputeFeatures(versionId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (groups: string[]) =>
      api.post<Materialization[]>(`/api/v1/dataset-versions/${versionId}/features/`, { groups }),
    onSuccess: () =>
      queryClient.invalidateQueries({ queryKey: versionFeaturesQueryKey(versionId) }),
  });
}
