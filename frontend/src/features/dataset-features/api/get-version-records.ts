/**
 * `GET /api/v1/dataset-versions/{id}/records/`: a page of a version's records with their
 * feature values, kept to those within every `where` range (`feature:min:max`).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import type { VersionRecords } from './types';

export const RECORDS_PAGE = 20;

export interface FeatureRange {
  feature: string;
  min: string;
  max: string;
}

export function whereParam(range: FeatureRange): string {
  return `${range.feature}:${range.min.trim()}:${range.max.trim()}`;
}

function recordsUrl(versionId: number, offset: number, ranges: readonly FeatureRange[]): string {
  // `where` repeats, which the client's one-value-per-key query cannot say.
  const params = new URLSearchParams({ offset: String(offset), limit: String(RECORDS_PAGE) });
  for (const range of ranges) params.append('where', whereParam(range));
  return `/api/v1/dataset-versions/${versionId}/records/?${params.toString()}`;
}

export function useVersionRecords(
  versionId: number,
  offset: number,
  ranges: readonly FeatureRange[],
) {
  return useQuery({
    queryKey: ['dataset-features', versionId, 'records', offset, ranges.map(whereParam)],
    queryFn: ({ signal }) =>
      api.get<VersionRecords>(recordsUrl(versionId, offset, ranges), { signal }),
    placeholderData: keepPreviousData,
  });
}
