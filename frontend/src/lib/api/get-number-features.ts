/**
 * The number features computed for a dataset version: what a training run can order its
 * records by (a curriculum) or draw them in proportion to. What is computed comes from
 * `GET /api/v1/dataset-versions/{id}/features/` (the groups that succeeded, with each
 * feature's statistics), which features are numbers from `GET /api/v1/feature-groups/`.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';
import { type FeatureGroup, isNumberFeature, useFeatureGroups } from './get-feature-groups';

type Materializations = ApiResponse<'/api/v1/dataset-versions/{version_id}/features/', 'get', 200>;

export interface NumberFeature {
  name: string;
  description: string;
  /** The lowest value computed; a weight must not be negative. */
  min: number | null;
}

export function numberFeatures(
  groups: FeatureGroup[],
  materializations: Materializations,
): NumberFeature[] {
  const definitions = new Map(
    groups.flatMap((group) => group.features).map((feature) => [feature.name, feature]),
  );
  return materializations
    .filter((materialization) => materialization.status === 'succeeded')
    .flatMap((materialization) =>
      Object.entries((materialization.statistics ?? {}) as Record<string, { min?: unknown }>),
    )
    .filter(([name]) => isNumberFeature(definitions.get(name)?.dtype))
    .map(([name, statistics]) => ({
      name,
      description: definitions.get(name)?.description ?? '',
      min: typeof statistics.min === 'number' ? statistics.min : null,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function useNumberFeatures(versionId: number | null) {
  const groups = useFeatureGroups();
  const computed = useQuery({
    queryKey: ['dataset-version-number-features', versionId],
    queryFn: ({ signal }) =>
      api.get<Materializations>(`/api/v1/dataset-versions/${versionId}/features/`, { signal }),
    enabled: versionId !== null,
  });
  return {
    features: groups.data && computed.data ? numberFeatures(groups.data, computed.data) : [],
    isPending: groups.isPending || (versionId !== null && computed.isPending),
  };
}
