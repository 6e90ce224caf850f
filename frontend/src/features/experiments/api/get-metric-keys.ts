/** `GET /api/v1/runs/{id}/metrics/`: which metrics a run has logged, with their summaries. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { runQueryKey } from './get-run';

export type MetricKeyPage = ApiResponse<'/api/v1/runs/{run_id}/metrics/', 'get', 200>;

export function metricKeysQueryKey(runId: number) {
  return [...runQueryKey(runId), 'metric-keys'] as const;
}

export function getMetricKeys(runId: number, signal?: AbortSignal): Promise<MetricKeyPage> {
  return api.get<MetricKeyPage>(`/api/v1/runs/${runId}/metrics/`, {
    query: { page_size: 500 },
    signal,
  });
}

export function useMetricKeys(runId: number) {
  return useQuery({
    queryKey: metricKeysQueryKey(runId),
    queryFn: ({ signal }) => getMetricKeys(runId, signal),
  });
}
