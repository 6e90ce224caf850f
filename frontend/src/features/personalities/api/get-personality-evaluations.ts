/**
 * `GET /api/v1/personality-evaluations/?personality={id}`: the evaluations of model versions
 * against a personality (an application's, or the registry gate's), with their headline
 * numbers once ready. Polls while one is still queued or running.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { isRunning, POLL_WHILE_RUNNING_MS } from './get-personality-applications';
import { personalityQueryKey } from './get-personality';

type EvaluationPage = ApiResponse<'/api/v1/personality-evaluations/', 'get', 200>;
export type PersonalityEvaluation = EvaluationPage['results'][number];

export function personalityEvaluationsQueryOptions(personalityId: number) {
  return queryOptions({
    queryKey: [...personalityQueryKey(personalityId), 'evaluations'],
    queryFn: ({ signal }) =>
      api.get<EvaluationPage>('/api/v1/personality-evaluations/', {
        query: { personality: personalityId, page_size: 100 },
        signal,
      }),
    refetchInterval: (query) =>
      query.state.data?.results.some(isRunning) ? POLL_WHILE_RUNNING_MS : false,
  });
}

export function usePersonalityEvaluations(personalityId: number) {
  return useQuery(personalityEvaluationsQueryOptions(personalityId));
}
