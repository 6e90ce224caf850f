/** `GET /api/v1/recipe-runs/{id}/`: one run with its progress, outputs and per-step report. */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { isActive, POLL_WHILE_RUNNING_MS, recipeRunsQueryKey } from './get-recipe-runs';
import type { RecipeRun } from './types';

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
