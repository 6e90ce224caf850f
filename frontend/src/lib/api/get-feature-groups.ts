/**
 * `GET /api/v1/feature-groups/`: the feature registry, its groups and their features (type,
 * version, description). Read by a dataset version's Features tab and records browser and by
 * the recipe builder's feature filter, which can hold only number features to a range.
 */
import { useQuery } from '@tanstack/react-query';

import { api } from '../api-client';
import type { components } from '../api-types';

export type FeatureGroup = components['schemas']['FeatureGroup'];
export type FeatureDefinition = components['schemas']['FeatureDefinition'];

const NUMBER_TYPES: ReadonlySet<string> = new Set(['int', 'float']);

/** Whether a feature's values are numbers (what a range or a filter's bounds apply to). */
export function isNumberFeature(dtype: string | undefined): boolean {
  return NUMBER_TYPES.has(dtype ?? '');
}

export function useFeatureGroups() {
  return useQuery({
    queryKey: ['feature-groups'],
    queryFn: ({ signal }) => api.get<FeatureGroup[]>('/api/v1/feature-groups/', { signal }),
    staleTime: Infinity, // the registry changes only with a deployment
  });
}
