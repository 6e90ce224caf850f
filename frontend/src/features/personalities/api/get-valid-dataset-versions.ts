/**
 * `GET /api/v1/datasets/{id}/versions/`: a dataset's versions, of which only the valid ones
 * (whose records can be read) are offered as a personality's examples.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

type DatasetVersionPage = ApiResponse<'/api/v1/datasets/{dataset_id}/versions/', 'get', 200>;

export function useValidDatasetVersions(datasetId: number | null) {
  return useQuery({
    queryKey: ['datasets', datasetId, 'versions', 'for-personalities'],
    queryFn: ({ signal }) =>
      api.get<DatasetVersionPage>(`/api/v1/datasets/${datasetId}/versions/`, {
        query: { page_size: 100 },
        signal,
      }),
    enabled: datasetId !== null,
    select: (page) => page.results.filter((version) => version.status === 'valid'),
  });
}
