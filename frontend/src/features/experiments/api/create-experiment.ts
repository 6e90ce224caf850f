/** `POST /api/v1/experiments/`: creates an experiment to group related runs. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { experimentsQueryKey } from './get-experiments';

export type CreateExperimentInput = ApiRequestBody<'/api/v1/experiments/', 'post'>;
export type CreatedExperiment = ApiResponse<'/api/v1/experiments/', 'post', 201>;

export function createExperiment(input: CreateExperimentInput): Promise<CreatedExperiment> {
  return api.post<CreatedExperiment>('/api/v1/experiments/', input);
}

export function useCreateExperiment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createExperiment,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: experimentsQueryKey }),
  });
}
