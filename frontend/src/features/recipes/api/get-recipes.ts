/** `GET /api/v1/recipes/`: the recipes the user can see, most recently changed first. */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import type { RecipePage } from './types';

export const recipesQueryKey = ['recipes'] as const;

export function useRecipes() {
  return useQuery({
    queryKey: [...recipesQueryKey, 'list'],
    queryFn: ({ signal }) =>
      api.get<RecipePage>('/api/v1/recipes/', { query: { page_size: 100 }, signal }),
  });
}
