/**
 * `GET|POST /api/v1/model-versions/{id}/stage/`: a version's stage history (newest first), and
 * moving it to another stage with a note. Promoting to production archives the model's previous
 * production version, so a stage change refreshes every version list.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { modelsQueryKey } from '../../../lib/api/get-models';

export type StageTransition = ApiResponse<
  '/api/v1/model-versions/{version_id}/stage/',
  'get',
  200
>[number];
export type SetStageInput = ApiRequestBody<'/api/v1/model-versions/{version_id}/stage/', 'post'>;

export function stageHistoryQueryKey(versionId: number) {
  return [...modelsQueryKey, 'version', versionId, 'stage-history'] as const;
}

export function useStageHistory(versionId: number) {
  return useQuery({
    queryKey: stageHistoryQueryKey(versionId),
    queryFn: ({ signal }) =>
      api.get<StageTransition[]>(`/api/v1/model-versions/${versionId}/stage/`, { signal }),
  });
}

export function setStage(versionId: number, input: SetStageInput): Promise<ModelVersion> {
  return api.post<ModelVersion>(`/api/v1/model-versions/${versionId}/stage/`, input);
}

export function useSetStage(versionId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: SetStageInput) => setStage(versionId, input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelsQueryKey }),
  });
}
