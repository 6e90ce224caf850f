/**
 * `GET /api/v1/dataset-versions/{id}/features/compare/?other=`: per feature both versions
 * have, the drift test between them and whether the feature shifted.
 */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import type { FeatureShift } from './types';

export function useCompareFeatures(versionId: number, otherId: number | null) {
  return useQuery({
    queryKey: ['dataset-features', versionId, 'compare', otherId],
    queryFn: ({ signal }) =>
      api.get<{ features: Record<string, FeatureShift> }>(
        `/api/v1/dataset-versions/${versionId}/features/compare/`,
        { query: { other: otherId ?? undefined }, signal },
      ),
    enabled: otherId !== null,
  });
}
