/**
 * `GET /api/v1/dataset-versions/{id}/features/`: a version's feature groups, each with its
 * status and per-feature statistics. While a group is being computed the list polls slowly,
 * so it finishes on screen even when the notifications socket is down.
 */
import { useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import type { Materialization } from './types';

export const POLL_WHILE_COMPUTING_MS = 5_000;

export function versionFeaturesQueryKey(versionId: number) {
  return ['dataset-features', versionId] as const;
}

export function useVersionFeatures(versionId: number | null) {
  return useQuery({
    queryKey: versionFeaturesQueryKey(versionId ?? 0),
    queryFn: ({ signal }) =>
      api.get<Materialization[]>(`/api/v1/dataset-versions/${versionId}/features/`, { signal }),
    enabled: versionId !== null,
    refetchInterval: (query) =>
      query.state.data?.some((m) => m.status === 'queued' || m.status === 'running')
        ? POLL_WHILE_COMPUTING_MS
        : false,
  });
}
