/** `GET /api/v1/model-versions/{id}/lineage/`: the run, experiment and dataset behind a version. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { modelsQueryKey } from '../../../lib/api/get-models';

export type ModelLineage = ApiResponse<'/api/v1/model-versions/{version_id}/lineage/', 'get', 200>;

export function useLineage(versionId: number) {
  return useQuery({
    queryKey: [...modelsQueryKey, 'version', versionId, 'lineage'],
    queryFn: ({ signal }) =>
      api.get<ModelLineage>(`/api/v1/model-versions/${versionId}/lineage/`, { signal }),
  });
}
