/**
 * `GET /api/v1/datasets/`: the datasets the user can see (their own and those shared with
 * them; `scope` keeps one side), newest first, with their version counts and access roles.
 */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

export type DatasetPage = ApiResponse<'/api/v1/datasets/', 'get', 200>;
export type Dataset = DatasetPage['results'][number];

export const datasetsQueryKey = ['datasets'] as const;

interface DatasetsOptions {
  page?: number;
  pageSize?: number;
  scope?: 'mine' | 'shared';
}

export function getDatasets(
  { page = 1, pageSize = 100, scope }: DatasetsOptions,
  signal?: AbortSignal,
): Promise<DatasetPage> {
  return api.get<DatasetPage>('/api/v1/datasets/', {
    query: { page, page_size: pageSize, ...(scope ? { scope } : {}) },
    signal,
  });
}

export function datasetsQueryOptions(options: DatasetsOptions = {}) {
  return queryOptions({
    queryKey: [...datasetsQueryKey, 'list', options],
    queryFn: ({ signal }) => getDatasets(options, signal),
    placeholderData: keepPreviousData,
  });
}

export function useDatasets(options: DatasetsOptions = {}) {
  return useQuery(datasetsQueryOptions(options));
}
