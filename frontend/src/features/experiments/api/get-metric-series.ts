/**
 * `GET /api/v1/runs/{id}/metrics/{key}/?points=N`: one metric's curve, downsampled by the
 * server to at most N buckets (mean per bucket, with min/max envelopes).
 */
import { queryOptions } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { runQueryKey } from './get-run';

export type MetricSeriesData = ApiResponse<'/api/v1/runs/{run_id}/metrics/{key}/', 'get', 200>;

/** About one point per pixel of a wide chart; the live socket adds points after these. */
export const SERIES_POINTS = 1000;

export function metricSeriesQueryKey(runId: number, key: string) {
  return [...runQueryKey(runId), 'series', key] as const;
}

export function getMetricSeries(
  runId: number,
  key: string,
  signal?: AbortSignal,
): Promise<MetricSeriesData> {
  // Keys may hold slashes ("train/loss"); each segment is encoded on its own.
  const path = key.split('/').map(encodeURIComponent).join('/');
  return api.get<MetricSeriesData>(`/api/v1/runs/${runId}/metrics/${path}/`, {
    query: { points: SERIES_POINTS },
    signal,
  });
}

export function metricSeriesQueryOptions(runId: number, key: string) {
  return queryOptions({
    queryKey: metricSeriesQueryKey(runId, key),
    queryFn: ({ signal }) => getMetricSeries(runId, key, signal),
    // Live points are merged on top; refetching only happens after a reconnect.
    staleTime: Infinity,
  });
}
