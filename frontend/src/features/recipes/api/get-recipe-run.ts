/** `GET /api/v1/recipe-runs/{id}/`: one run with its progress, outputs and per-step report. */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { isActive, POLL_WHILE_RUNNING_MS, recipeRunsQueryKey } from './get-recipe-runs';
import type { RecipeRun, RunReport } from './types';

export function recipeRunQueryKey(runId: number) {
  return [...recipeRunsQueryKey, 'detail', runId] as const;
}

export function useRecipeRun(runId: number) {
  return useQuery({
    queryKey: recipeRunQueryKey(runId),
    queryFn: ({ signal }) => api.get<RecipeRun>(`/api/v1/recipe-runs/${runId}/`, { signal }),
    refetchInterval: (query) =>
      query.state.data && isActive(query.state.data.status) ? POLL_WHILE_RUNNING_MS : false,
  });
}

/** The run's report once it ended (the worker stores `{}` until then). */
export function runReport(run: RecipeRun): RunReport | null {
  const report = run.report;
  if (!report || !Array.isArray(report.steps)) return null;
  return {
    steps: report.steps,
    errors: report.errors ?? [],
    error_count: report.error_count,
    outputs: report.outputs ?? {},
    bytes_in: report.bytes_in ?? 0,
    seconds: report.seconds ?? 0,
  };
}
