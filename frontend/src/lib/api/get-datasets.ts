/** `GET /api/v1/datasets/`: the user's datasets, newest first, with their version counts. */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

export type DatasetPage = ApiResponse<'/api/v1/datasets/', 'get', 200>;
export type Dataset = DatasetPage['results'][number];

export const datasetsQueryKey = ['datasets'] as const;

export function getDatasets(
  { page = 1, pageSize = 100 }: { page?: number; pageSize?: number },
  signal?: AbortSignal,
): Promise<DatasetPage> {
  return api.get<DatasetPage>('/api/v1/datasets/', {
    query: { page, page_size: pageSize },
    signal,
  });
}

export function datasetsQueryOptions(options: { page?: number; pageSize?: number } = {}) {
  return queryOptions({
    queryKey: [...datasetsQueryKey, 'list', options],
    queryFn: ({ signal }) => getDatasets(options, signal),
    placeholderData: keepPreviousData,
  });
}

export function useDatasets(options: { page?: number; pageSize?: number } = {}) {
  return useQuery(datasetsQueryOptions(options));
}
