/** `GET /api/v1/recipes/{id}/`: one recipe, its current steps and its versions. */
import { useQuery } from '@tanstack/react-query';

import { api, ApiError } from '../../../lib/api-client';
import { recipesQueryKey } from './get-recipes';
import type { Recipe } from './types';

export function recipeQueryKey(recipeId: number) {
  return [...recipesQueryKey, 'detail', recipeId] as const;
}

export function useRecipe(recipeId: number, enabled = true) {
  return useQuery({
    queryKey: recipeQueryKey(recipeId),
    queryFn: ({ signal }) => api.get<Recipe>(`/api/v1/recipes/${recipeId}/`, { signal }),
    enabled,
  });
}

/**
 * Whether a run's recipe is gone for this user: deleted (the run keeps a copy of what it ran
 * under the old id) or no longer shared with them. Either way it can neither be opened nor
 * run again.
 */
export function useRecipeGone(recipeId: number | undefined): boolean {
  const recipe = useRecipe(recipeId ?? 0, recipeId !== undefined);
  return recipe.error instanceof ApiError && recipe.error.status === 404;
}
