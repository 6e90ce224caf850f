/** `PATCH /api/v1/monitoring/model-versions/{id}/drift/settings/`: needs edit access to the version. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { type ApiRequestBody, request } from '../../../lib/api-client';
import { type DriftSettings, driftSettingsQueryKey } from './get-drift-settings';

export type DriftSettingsInput = ApiRequestBody<
  '/api/v1/monitoring/model-versions/{version_id}/drift/settings/',
  'patch'
>;

export function useUpdateDriftSettings(versionId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: DriftSettingsInput) =>
      request<DriftSettings>(`/api/v1/monitoring/model-versions/${versionId}/drift/settings/`, {
        method: 'PATCH',
        body: input,
      }),
    onSuccess: (saved) => queryClient.setQueryData(driftSettingsQueryKey(versionId), saved),
  });
}
