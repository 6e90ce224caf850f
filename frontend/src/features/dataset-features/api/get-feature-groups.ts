/** `GET /api/v1/feature-groups/`: the feature registry, its groups and their features. */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import type { FeatureGroup } from './types';

export function useFeatureGroups() {
  return useQuery({
    queryKey: ['feature-groups'],
    queryFn: ({ signal }) => api.get<FeatureGroup[]>('/api/v1/feature-groups/', { signal }),
    staleTime: Infinity,
  });
}
