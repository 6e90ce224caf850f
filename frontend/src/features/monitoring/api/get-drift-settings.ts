/** `GET /api/v1/monitoring/model-versions/{id}/drift/settings/`: the reference, window, minimum and alpha. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { driftQueryKey } from './get-drift-latest';

export type DriftSettings = Required<
  ApiResponse<'/api/v1/monitoring/model-versions/{version_id}/drift/settings/', 'get', 200>
>;

export function driftSettingsQueryKey(versionId: number) {
  return [...driftQueryKey(versionId), 'settings'] as const;
}

export function getDriftSettings(versionId: number, signal?: AbortSignal): Promise<DriftSettings> {
  return api.get<DriftSettings>(`/api/v1/monitoring/model-versions/${versionId}/drift/settings/`, {
    signal,
  });
}

export function useDriftSettings(versionId: number) {
  return useQuery({
    queryKey: driftSettingsQueryKey(versionId),
    queryFn: ({ signal }) => getDriftSettings(versionId, signal),
  });
}
