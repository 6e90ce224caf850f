/**
 * `PATCH /api/v1/models/{id}/`: a model's personality gate, the target personality version
 * (null clears it) with its thresholds, minimum alignment and maximum drift from production.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { type ApiRequestBody, request } from '../../../lib/api-client';
import { modelsQueryKey, type RegisteredModel } from '../../../lib/api/get-models';

export type ModelUpdateInput = ApiRequestBody<'/api/v1/models/{model_id}/', 'patch'>;

export function useUpdateModel(modelId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ModelUpdateInput) =>
      request<RegisteredModel>(`/api/v1/models/${modelId}/`, { method: 'PATCH', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelsQueryKey }),
  });
}
