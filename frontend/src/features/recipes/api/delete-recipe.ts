/** `DELETE /api/v1/recipes/{id}/`: the recipe and its versions; datasets it made stay. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { recipesQueryKey } from './get-recipes';

export function useDeleteRecipe() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (recipeId: number) => api.delete(`/api/v1/recipes/${recipeId}/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: recipesQueryKey }),
  });
}
