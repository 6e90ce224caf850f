/** `GET /api/v1/dataset-versions/{id}/models/`: lineage the other way, models trained on it. */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import type { ModelVersionPage } from '../../../lib/api/get-model-versions';
import { modelsQueryKey } from '../../../lib/api/get-models';

export function useDatasetVersionModels(datasetVersionId: number) {
  return useQuery({
    queryKey: [...modelsQueryKey, 'from-dataset-version', datasetVersionId],
    queryFn: ({ signal }) =>
      api.get<ModelVersionPage>(`/api/v1/dataset-versions/${datasetVersionId}/models/`, {
        query: { page_size: 100 },
        signal,
      }),
  });
}
