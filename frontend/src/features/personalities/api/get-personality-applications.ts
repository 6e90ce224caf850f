/**
 * `GET /api/v1/personality-applications/?personality={id}`: the model versions a personality
 * was applied to (steering, persona LoRA or system prompt), each with its evaluation's
 * headline numbers. Polls while one is still queued or running.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { personalityQueryKey } from './get-personality';

type ApplicationPage = ApiResponse<'/api/v1/personality-applications/', 'get', 200>;
export type PersonalityApplication = ApplicationPage['results'][number];

export const POLL_WHILE_RUNNING_MS = 5_000;

export function isRunning(item: { status?: string }): boolean {
  return item.status === 'queued' || item.status === 'running';
}

export function personalityApplicationsQueryOptions(personalityId: number) {
  return queryOptions({
    queryKey: [...personalityQueryKey(personalityId), 'applications'],
    queryFn: ({ signal }) =>
      api.get<ApplicationPage>('/api/v1/personality-applications/', {
        query: { personality: personalityId, page_size: 100 },
        signal,
      }),
    refetchInterval: (query) =>
      query.state.data?.results.some(isRunning) ? POLL_WHILE_RUNNING_MS : false,
  });
}

export function usePersonalityApplications(personalityId: number) {
  return useQuery(personalityApplicationsQueryOptions(personalityId));
}
