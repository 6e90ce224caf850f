/** `POST /api/v1/sweeps/`: a new sweep; its first trials start at once. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody } from '../../../lib/api-client';
import { type Sweep, sweepsQueryKey } from './get-sweeps';

export type CreateSweepInput = ApiRequestBody<'/api/v1/sweeps/', 'post'>;

export function useCreateSweep() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateSweepInput) => api.post<Sweep>('/api/v1/sweeps/', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sweepsQueryKey }),
  });
}
