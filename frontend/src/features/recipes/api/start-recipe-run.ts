/** `POST /api/v1/recipes/{id}/runs/`: runs a version of the recipe (the latest by default). */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { recipeRunsQueryKey } from './get-recipe-runs';
import type { RecipeRun } from './types';

export interface StartRunInput {
  inputs: number[];
  output_name: string;
  /** The recipe version to run; the latest when left out. */
  version?: number;
}

export function useStartRecipeRun(recipeId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: StartRunInput) =>
      api.post<RecipeRun>(`/api/v1/recipes/${recipeId}/runs/`, input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: recipeRunsQueryKey }),
  });
}
