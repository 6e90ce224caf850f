/** `GET /api/v1/monitoring/traces/{id}/`: one generation's timeline of hops. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type Trace = ApiResponse<'/api/v1/monitoring/traces/{trace_id}/', 'get', 200>;
export type TraceHop = Trace['hops'][number];

export function traceQueryKey(traceId: number) {
  return ['monitoring', 'trace', traceId] as const;
}

export function getTrace(traceId: number, signal?: AbortSignal): Promise<Trace> {
  return api.get<Trace>(`/api/v1/monitoring/traces/${traceId}/`, { signal });
}

export function useTrace(traceId: number | null) {
  return useQuery({
    queryKey: traceQueryKey(traceId ?? 0),
    queryFn: ({ signal }) => getTrace(traceId ?? 0, signal),
    enabled: traceId !== null,
  });
}
