/**
 * `GET /api/v1/personality-applications/{id}/report/` (the evaluation's report once it is
 * ready; 409 before) and the address of its chart, `.../chart/` (a PNG).
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { modelsQueryKey } from '../../../lib/api/get-models';

export type EvaluationReport = ApiResponse<
  '/api/v1/personality-applications/{application_id}/report/',
  'get',
  200
>;

export function applicationChartUrl(applicationId: number): string {
  return `/api/v1/personality-applications/${applicationId}/chart/`;
}

export function useApplicationReport(applicationId: number, { enabled }: { enabled: boolean }) {
  return useQuery({
    queryKey: [...modelsQueryKey, 'personality-application', applicationId, 'report'],
    queryFn: ({ signal }) =>
      api.get<EvaluationReport>(`/api/v1/personality-applications/${applicationId}/report/`, {
        signal,
      }),
    enabled,
    // A finished report never changes.
    staleTime: Infinity,
  });
}
