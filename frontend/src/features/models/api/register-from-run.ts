/** `POST /api/v1/model-versions/from-run/`: a new version from a finished run's checkpoint. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody } from '../../../lib/api-client';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { modelsQueryKey } from '../../../lib/api/get-models';

export type RegisterFromRunInput = ApiRequestBody<'/api/v1/model-versions/from-run/', 'post'>;

export function registerFromRun(input: RegisterFromRunInput): Promise<ModelVersion> {
  return api.post<ModelVersion>('/api/v1/model-versions/from-run/', input);
}

export function useRegisterFromRun() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: registerFromRun,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelsQueryKey }),
  });
}
