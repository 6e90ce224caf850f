/**
 * `GET /api/v1/recipe-runs/?recipe=`: a recipe's runs, newest first. While one is queued or
 * running the list polls slowly, so it moves on even when the notifications socket is down.
 */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import type { RecipeRunPage, RunStatus } from './types';

export const recipeRunsQueryKey = ['recipe-runs'] as const;

export const POLL_WHILE_RUNNING_MS = 5_000;

export function isActive(status: RunStatus): boolean {
  return status === 'queued' || status === 'running';
}

export function recipeRunsListKey(recipeId: number) {
  return [...recipeRunsQueryKey, 'list', recipeId] as const;
}

export function useRecipeRuns(recipeId: number) {
  return useQuery({
    queryKey: recipeRunsListKey(recipeId),
    queryFn: ({ signal }) =>
      api.get<RecipeRunPage>('/api/v1/recipe-runs/', {
        query: { recipe: recipeId, page_size: 50 },
        signal,
      }),
    refetchInterval: (query) =>
      query.state.data?.results.some((run) => isActive(run.status)) ? POLL_WHILE_RUNNING_MS : false,
  });
}
