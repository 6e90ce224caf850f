/**
 * `GET /api/v1/experiments/{id}/runs/?filter=&order_by=`: one page of an experiment's runs,
 * filtered and ordered by the server (so sorting covers every page, not just this one). A
 * filter the server cannot parse is a 400 whose `fields.filter` names the character offset.
 */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { experimentsQueryKey } from './get-experiments';

export type RunPage = ApiResponse<'/api/v1/experiments/{experiment_id}/runs/', 'get', 200>;
export type Run = RunPage['results'][number];
export type MetricSummary = Run['metrics'][string];

export const RUNS_PAGE_SIZE = 50;

export interface RunSearch {
  filter: string;
  orderBy: string;
  page: number;
}

export function runsQueryKey(experimentId: number) {
  return [...experimentsQueryKey, experimentId, 'runs'] as const;
}

export function searchRuns(
  experimentId: number,
  { filter, orderBy, page }: RunSearch,
  signal?: AbortSignal,
): Promise<RunPage> {
  return api.get<RunPage>(`/api/v1/experiments/${experimentId}/runs/`, {
    query: {
      filter: filter || undefined,
      order_by: orderBy || undefined,
      page,
      page_size: RUNS_PAGE_SIZE,
    },
    signal,
  });
}

export function runsQueryOptions(experimentId: number, search: RunSearch) {
  return queryOptions({
    queryKey: [...runsQueryKey(experimentId), search],
    queryFn: ({ signal }) => searchRuns(experimentId, search, signal),
    placeholderData: keepPreviousData,
    // Runs that are training change their metrics; a slow refresh keeps the table honest.
    refetchInterval: (query) =>
      query.state.data?.results.some((run) => run.status === 'running' || run.status === 'queued')
        ? 10_000
        : false,
  });
}

export function useRuns(experimentId: number, search: RunSearch) {
  return useQuery(runsQueryOptions(experimentId, search));
}
