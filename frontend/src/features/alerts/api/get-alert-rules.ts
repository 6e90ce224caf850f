/** `GET /api/v1/alerts/rules/?page=N`: one page of the user's alert rules, newest first. */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type AlertRulePage = ApiResponse<'/api/v1/alerts/rules/', 'get', 200>;
export type AlertRule = AlertRulePage['results'][number];

export const alertsQueryKey = ['alerts'] as const;

export function getAlertRules(page: number, signal?: AbortSignal): Promise<AlertRulePage> {
  return api.get<AlertRulePage>('/api/v1/alerts/rules/', { query: { page }, signal });
}

export function useAlertRules(page: number) {
  return useQuery(
    queryOptions({
      queryKey: [...alertsQueryKey, 'rules', { page }],
      queryFn: ({ signal }) => getAlertRules(page, signal),
      placeholderData: keepPreviousData,
    }),
  );
}
