/** `GET /api/v1/audit/`: the audit log as the caller may see it, newest first, filtered. */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type AuditEventPage = ApiResponse<'/api/v1/audit/', 'get', 200>;
export type AuditEvent = AuditEventPage['results'][number];

export interface AuditFilters {
  team?: number;
  action?: string;
}

export function auditEventsQueryOptions(page: number, filters: AuditFilters) {
  return queryOptions({
    queryKey: ['audit', { page, ...filters }],
    queryFn: ({ signal }) =>
      api.get<AuditEventPage>('/api/v1/audit/', { query: { page, ...filters }, signal }),
    placeholderData: keepPreviousData,
  });
}

export function useAuditEvents(page: number, filters: AuditFilters) {
  return useQuery(auditEventsQueryOptions(page, filters));
}
