/**
 * `GET /api/v1/training-runs/`: the user's training runs, newest first, with progress. Polls
 * while one is queued or running, so lists outside the live run page stay roughly current.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

type RawTrainingRunPage = ApiResponse<'/api/v1/training-runs/', 'get', 200>;
type RawTrainingRun = RawTrainingRunPage['results'][number];
/**
 * The schema marks fields with model defaults optional, but the server always sends them.
 */
export type TrainingRun = RawTrainingRun &
  Required<
    Pick<
      RawTrainingRun,
      'status' | 'step' | 'attempts' | 'cancel_requested' | 'error' | 'cpu_seconds'
    >
  >;
export type TrainingRunPage = Omit<RawTrainingRunPage, 'results'> & { results: TrainingRun[] };
export type TrainingStatus = TrainingRun['status'];

export const trainingRunsQueryKey = ['training-runs'] as const;
const POLL_WHILE_ACTIVE_MS = 5_000;

export function isActive(status: TrainingStatus): boolean {
  return status === 'queued' || status === 'running';
}

export function getTrainingRuns(
  { page = 1, pageSize = 20 }: { page?: number; pageSize?: number },
  signal?: AbortSignal,
): Promise<TrainingRunPage> {
  return api.get<TrainingRunPage>('/api/v1/training-runs/', {
    query: { page, page_size: pageSize },
    signal,
  });
}

export function trainingRunsQueryOptions(options: { page?: number; pageSize?: number } = {}) {
  return queryOptions({
    queryKey: [...trainingRunsQueryKey, 'list', options],
    queryFn: ({ signal }) => getTrainingRuns(options, signal),
    refetchInterval: (query) =>
      query.state.data?.results.some((run) => isActive(run.status)) ? POLL_WHILE_ACTIVE_MS : false,
  });
}

export function useTrainingRuns(options: { page?: number; pageSize?: number } = {}) {
  return useQuery(trainingRunsQueryOptions(options));
}
