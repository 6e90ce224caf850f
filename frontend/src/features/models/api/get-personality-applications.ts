/**
 * `GET /api/v1/personality-applications/?model_version={id}`: the personalities applied to a
 * version, and the application that made it when it is itself a result. Polls while one is
 * queued or running, in case the notifications socket is down.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { modelsQueryKey } from '../../../lib/api/get-models';

type ApplicationPage = ApiResponse<'/api/v1/personality-applications/', 'get', 200>;
export type PersonalityApplication = ApplicationPage['results'][number];
export type ApplicationMethod = PersonalityApplication['method'];

export const POLL_WHILE_RUNNING_MS = 5_000;

export function isRunning(job: { status?: string }): boolean {
  return job.status === 'queued' || job.status === 'running';
}

export function versionApplicationsQueryKey(versionId: number) {
  return [...modelsQueryKey, 'version', versionId, 'personality-applications'] as const;
}

export function useVersionApplications(versionId: number) {
  return useQuery({
    queryKey: versionApplicationsQueryKey(versionId),
    queryFn: ({ signal }) =>
      api.get<ApplicationPage>('/api/v1/personality-applications/', {
        query: { model_version: versionId, page_size: 100 },
        signal,
      }),
    select: (page) => page.results,
    refetchInterval: (query) =>
      query.state.data?.results.some(isRunning) ? POLL_WHILE_RUNNING_MS : false,
  });
}
