/**
 * `GET /api/v1/model-versions/{id}/monitoring/` and, for staff, `GET /api/v1/monitoring/site/`:
 * usage series per hour or day bucket, from the server's rollups.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type MonitoringSeries = ApiResponse<'/api/v1/monitoring/site/', 'get', 200>;
export type Granularity = MonitoringSeries['granularity'];

/** Every series the monitoring charts draw, asked for in one request. */
export const CHART_SERIES = [
  'requests',
  'errors',
  'error_rate',
  'prompt_tokens',
  'completion_tokens',
  'latency_p50_ms',
  'latency_p95_ms',
  'ttft_p95_ms',
  'feedback_ratio',
  'arena_win_rate',
] as const;

/** null: the whole site's (staff only). */
export function monitoringSeriesQueryKey(versionId: number | null, granularity: Granularity) {
  return ['monitoring', 'series', versionId ?? 'site', granularity] as const;
}

export function getMonitoringSeries(
  versionId: number | null,
  granularity: Granularity,
  signal?: AbortSignal,
): Promise<MonitoringSeries> {
  const path =
    versionId === null
      ? '/api/v1/monitoring/site/'
      : `/api/v1/model-versions/${versionId}/monitoring/`;
  return api.get<MonitoringSeries>(path, {
    signal,
    query: { granularity, series: CHART_SERIES.join(',') },
  });
}

export function useMonitoringSeries(versionId: number | null, granularity: Granularity) {
  return useQuery({
    queryKey: monitoringSeriesQueryKey(versionId, granularity),
    queryFn: ({ signal }) => getMonitoringSeries(versionId, granularity, signal),
  });
}
