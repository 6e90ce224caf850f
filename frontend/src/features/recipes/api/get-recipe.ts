/** `GET /api/v1/recipes/{id}/`: one recipe, its current steps and its versions. */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { recipesQueryKey } from './get-recipes';
import type { Recipe } from './types';

export function recipeQueryKey(recipeId: number) {
  return [...recipesQueryKey, 'detail', recipeId] as const;
}

export function useRecipe(recipeId: number) {
  return useQuery({
    queryKey: recipeQueryKey(recipeId),
    queryFn: ({ signal }) => api.get<Recipe>(`/api/v1/recipes/${recipeId}/`, { signal }),
  });
}
