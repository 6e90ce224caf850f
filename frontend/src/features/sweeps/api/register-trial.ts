/**
 * `POST /api/v1/model-versions/from-run/`: the registry's register-from-run, for a trial's
 * training run (its best checkpoint, as a new model named after the sweep).
 */
import { useMutation } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';

type RegisterInput = ApiRequestBody<'/api/v1/model-versions/from-run/', 'post'>;
export type RegisteredVersion = ApiResponse<'/api/v1/model-versions/from-run/', 'post', 201>;

export function useRegisterTrial() {
  return useMutation({
    mutationFn: (input: RegisterInput) =>
      api.post<RegisteredVersion>('/api/v1/model-versions/from-run/', input),
  });
}
