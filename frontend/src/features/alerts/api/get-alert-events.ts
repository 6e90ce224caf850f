/** `GET /api/v1/alerts/events/?page=N`: the user's rules' events, newest first, each with how
 * its notices were delivered on each channel. */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { alertsQueryKey } from './get-alert-rules';

export type AlertEventPage = ApiResponse<'/api/v1/alerts/events/', 'get', 200>;
export type AlertEvent = AlertEventPage['results'][number];

export function getAlertEvents(page: number, signal?: AbortSignal): Promise<AlertEventPage> {
  return api.get<AlertEventPage>('/api/v1/alerts/events/', { query: { page }, signal });
}

export function useAlertEvents(page: number) {
  return useQuery(
    queryOptions({
      queryKey: [...alertsQueryKey, 'events', { page }],
      queryFn: ({ signal }) => getAlertEvents(page, signal),
      placeholderData: keepPreviousData,
    }),
  );
}
