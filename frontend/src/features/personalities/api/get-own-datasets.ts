/**
 * `GET /api/v1/datasets/`: the user's datasets, read here only to offer a dataset version's
 * records as a personality's examples.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

type DatasetPage = ApiResponse<'/api/v1/datasets/', 'get', 200>;

export function useOwnDatasets() {
  return useQuery({
    queryKey: ['datasets', 'list', 'for-personalities'],
    queryFn: ({ signal }) =>
      api.get<DatasetPage>('/api/v1/datasets/', { query: { page_size: 100 }, signal }),
  });
}
