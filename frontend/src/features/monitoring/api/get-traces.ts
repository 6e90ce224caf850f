/**
 * `GET /api/v1/monitoring/traces/`: recent generations of a model version, or the one that
 * wrote a chat reply.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type TracePage = ApiResponse<'/api/v1/monitoring/traces/', 'get', 200>;
export type TraceSummary = TracePage['results'][number];

export interface TraceFilter {
  modelVersion?: number;
  message?: number;
}

export function tracesQueryKey(filter: TraceFilter) {
  return ['monitoring', 'traces', filter] as const;
}

export function getTraces(filter: TraceFilter, signal?: AbortSignal): Promise<TracePage> {
  return api.get<TracePage>('/api/v1/monitoring/traces/', {
    signal,
    query: { model_version: filter.modelVersion, message: filter.message, page_size: 20 },
  });
}

export function useTraces(filter: TraceFilter, enabled = true) {
  return useQuery({
    queryKey: tracesQueryKey(filter),
    queryFn: ({ signal }) => getTraces(filter, signal),
    enabled,
  });
}
