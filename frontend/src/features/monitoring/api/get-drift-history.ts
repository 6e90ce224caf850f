/**
 * `GET /api/v1/monitoring/model-versions/{id}/drift/history/?kind=`: a kind's results, oldest
 * first. Keyed by the kind's latest window end, so a new result refetches it.
 */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { type DriftKind, type DriftResult, driftQueryKey } from './get-drift-latest';

export function getDriftHistory(
  versionId: number,
  kind: DriftKind,
  signal?: AbortSignal,
): Promise<DriftResult[]> {
  return api.get<DriftResult[]>(`/api/v1/monitoring/model-versions/${versionId}/drift/history/`, {
    signal,
    query: { kind },
  });
}

export function useDriftHistory(versionId: number, kind: DriftKind, latestEnd: string | null) {
  return useQuery({
    queryKey: [...driftQueryKey(versionId), 'history', kind, latestEnd],
    queryFn: ({ signal }) => getDriftHistory(versionId, kind, signal),
  });
}
