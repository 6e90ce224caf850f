/** `POST /api/v1/monitoring/model-versions/{id}/drift/check/`: queues a check of the window ending now. */
import { useMutation } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type DriftCheck = ApiResponse<
  '/api/v1/monitoring/model-versions/{version_id}/drift/check/',
  'post',
  202
>;

export function useCheckDrift(versionId: number) {
  return useMutation({
    mutationFn: () =>
      api.post<DriftCheck>(`/api/v1/monitoring/model-versions/${versionId}/drift/check/`),
  });
}
