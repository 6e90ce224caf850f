/**
 * `GET /api/v1/personality-evaluations/?model_version={id}`: the evaluations of a version, so
 * a promotion refused while the gate's evaluation runs can show that evaluation's progress.
 * Polls while one runs.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { modelsQueryKey } from '../../../lib/api/get-models';
import { isRunning, POLL_WHILE_RUNNING_MS } from './get-personality-applications';

type EvaluationPage = ApiResponse<'/api/v1/personality-evaluations/', 'get', 200>;
export type PersonalityEvaluation = EvaluationPage['results'][number];

export function gateEvaluationsQueryKey(versionId: number) {
  return [...modelsQueryKey, 'version', versionId, 'personality-evaluations'] as const;
}

export function useGateEvaluations(versionId: number, { enabled }: { enabled: boolean }) {
  return useQuery({
    queryKey: gateEvaluationsQueryKey(versionId),
    queryFn: ({ signal }) =>
      api.get<EvaluationPage>('/api/v1/personality-evaluations/', {
        query: { model_version: versionId, page_size: 20 },
        signal,
      }),
    select: (page) => page.results,
    enabled,
    refetchInterval: (query) =>
      query.state.data?.results.some(isRunning) ? POLL_WHILE_RUNNING_MS : false,
  });
}
