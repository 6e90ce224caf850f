/** `POST /api/v1/recipe-runs/{id}/cancel/` and `.../rerun/` (a new run with the same inputs). */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { recipeRunsQueryKey } from './get-recipe-runs';
import type { RecipeRun } from './types';

export type RunAction = 'cancel' | 'rerun';

export function useRecipeRunAction() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ runId, action }: { runId: number; action: RunAction }) =>
      api.post<RecipeRun>(`/api/v1/recipe-runs/${runId}/${action}/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: recipeRunsQueryKey }),
  });
}
