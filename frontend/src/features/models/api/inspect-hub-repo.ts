/**
 * `POST /api/v1/models/{id}/hub/inspect/`: what pulling a hub repo into this model would import
 * (license, card, files, download size, architecture, and why it cannot be pulled if so), read
 * by the server without downloading the weights.
 */
import { useMutation } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';

type HubRepoBody = ApiRequestBody<'/api/v1/models/{model_id}/hub/inspect/', 'post'>;
/** The server defaults the revision (main) and the file (none: a model directory). */
export type HubRepoInput = Pick<HubRepoBody, 'repo_id'> & Partial<HubRepoBody>;
export type HubInspection = ApiResponse<'/api/v1/models/{model_id}/hub/inspect/', 'post', 200>;

export function inspectHubRepo(modelId: number, input: HubRepoInput): Promise<HubInspection> {
  return api.post<HubInspection>(`/api/v1/models/${modelId}/hub/inspect/`, input);
}

export function useInspectHubRepo(modelId: number) {
  return useMutation({ mutationFn: (input: HubRepoInput) => inspectHubRepo(modelId, input) });
}
