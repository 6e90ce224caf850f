/**
 * `GET /api/v1/experiments/runs/compare/?ids=1,2,3`: several runs side by side: every param
 * with whether it differs, and each metric's downsampled curve and summary per run.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type RunComparison = ApiResponse<'/api/v1/experiments/runs/compare/', 'get', 200>;
/** A run's curve for one metric; the server sends null where a run lacks that metric. */
export type RunCurve = RunComparison['metrics'][number]['runs'][number] | null;

export const MAX_COMPARED_RUNS = 10;

export function compareRuns(ids: readonly number[], signal?: AbortSignal): Promise<RunComparison> {
  return api.get<RunComparison>('/api/v1/experiments/runs/compare/', {
    query: { ids: ids.join(','), points: 300 },
    signal,
  });
}

export function useRunComparison(ids: readonly number[]) {
  return useQuery({
    queryKey: ['runs', 'compare', ids],
    queryFn: ({ signal }) => compareRuns(ids, signal),
    enabled: ids.length > 0,
  });
}
