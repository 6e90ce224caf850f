/** `GET /api/v1/model-versions/{id}/`: one version with its exports. */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { isBusy, type ModelVersion, POLL_WHILE_BUSY_MS } from '../../../lib/api/get-model-versions';
import { modelsQueryKey } from '../../../lib/api/get-models';

export function modelVersionQueryKey(versionId: number) {
  return [...modelsQueryKey, 'version', versionId] as const;
}

export function getModelVersion(versionId: number, signal?: AbortSignal): Promise<ModelVersion> {
  return api.get<ModelVersion>(`/api/v1/model-versions/${versionId}/`, { signal });
}

export function useModelVersion(versionId: number | null) {
  return useQuery({
    queryKey: modelVersionQueryKey(versionId ?? 0),
    queryFn: ({ signal }) => getModelVersion(versionId ?? 0, signal),
    enabled: versionId !== null,
    refetchInterval: (query) =>
      query.state.data && isBusy(query.state.data) ? POLL_WHILE_BUSY_MS : false,
  });
}
