/**
 * `GET /api/v1/training-runs/{id}/log/`: the run's kept log lines (its last thousand), so the
 * log is there after a reload; lines written later arrive over the run's socket.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';
import { trainingRunsQueryKey } from './get-training-runs';

export type TrainingRunLog = ApiResponse<
  '/api/v1/training-runs/{training_run_id}/log/',
  'get',
  200
>;
export type LogLine = TrainingRunLog['lines'][number];

export function trainingRunLogQueryKey(trainingRunId: number | undefined) {
  return [...trainingRunsQueryKey, 'log', trainingRunId] as const;
}

export function getTrainingRunLog(
  trainingRunId: number,
  signal?: AbortSignal,
): Promise<TrainingRunLog> {
  return api.get<TrainingRunLog>(`/api/v1/training-runs/${trainingRunId}/log/`, { signal });
}

export function useTrainingRunLog(trainingRunId: number | undefined) {
  return useQuery({
    queryKey: trainingRunLogQueryKey(trainingRunId),
    queryFn: ({ signal }) => getTrainingRunLog(trainingRunId as number, signal),
    enabled: trainingRunId !== undefined,
    // Live lines are appended from the socket; a reconnect refetches what it missed.
    staleTime: Infinity,
  });
}
