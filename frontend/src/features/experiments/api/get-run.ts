/** `GET /api/v1/runs/{id}/`: one tracked run with its params, tags, status and metric summaries. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type RunDetail = ApiResponse<'/api/v1/runs/{run_id}/', 'get', 200>;

export function runQueryKey(runId: number) {
  return ['runs', runId] as const;
}

export function getRun(runId: number, signal?: AbortSignal): Promise<RunDetail> {
  return api.get<RunDetail>(`/api/v1/runs/${runId}/`, { signal });
}

export function useRun(runId: number) {
  return useQuery({ queryKey: runQueryKey(runId), queryFn: ({ signal }) => getRun(runId, signal) });
}
