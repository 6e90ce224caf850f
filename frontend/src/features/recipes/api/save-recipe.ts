/**
 * `POST /api/v1/recipes/` (a new recipe) or `PATCH /api/v1/recipes/{id}/` (changed steps
 * become the recipe's next version). A step the server refuses comes back as a 400 naming
 * `steps.<index>.<field>`.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, request } from '../../../lib/api-client';
import type { StepPayload } from '../utils/steps';
import { recipesQueryKey } from './get-recipes';
import type { Recipe } from './types';

export interface SaveRecipeInput {
  name: string;
  description: string;
  steps: StepPayload[];
}

export function useSaveRecipe(recipeId: number | null) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: SaveRecipeInput) =>
      recipeId === null
        ? api.post<Recipe>('/api/v1/recipes/', input)
        : request<Recipe>(`/api/v1/recipes/${recipeId}/`, { method: 'PATCH', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: recipesQueryKey }),
  });
}
