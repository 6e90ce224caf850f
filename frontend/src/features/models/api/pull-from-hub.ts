/**
 * `POST /api/v1/models/{id}/hub/pull/`: a new version of the model pulled from the hub. It
 * answers at once with an importing version; a worker downloads (progress on the notifications
 * socket as `model_version.progress`) and converts it.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody } from '../../../lib/api-client';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { modelsQueryKey } from '../../../lib/api/get-models';

type HubPullBody = ApiRequestBody<'/api/v1/models/{model_id}/hub/pull/', 'post'>;
/** The server defaults all but the repo id (revision main, minor bump, no description). */
export type HubPullInput = Pick<HubPullBody, 'repo_id'> & Partial<HubPullBody>;

export function pullFromHub(modelId: number, input: HubPullInput): Promise<ModelVersion> {
  return api.post<ModelVersion>(`/api/v1/models/${modelId}/hub/pull/`, input);
}

export function usePullFromHub(modelId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: HubPullInput) => pullFromHub(modelId, input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelsQueryKey }),
  });
}
