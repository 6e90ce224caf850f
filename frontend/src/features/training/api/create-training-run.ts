/** `POST /api/v1/training-runs/`: queues a training run on a valid dataset version. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { trainingRunsQueryKey } from '../../../lib/api/get-training-runs';

export type CreateTrainingRunInput = ApiRequestBody<'/api/v1/training-runs/', 'post'>;
export type CreatedTrainingRun = ApiResponse<'/api/v1/training-runs/', 'post', 201>;

export function createTrainingRun(input: CreateTrainingRunInput): Promise<CreatedTrainingRun> {
  return api.post<CreatedTrainingRun>('/api/v1/training-runs/', input);
}

export function useCreateTrainingRun() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createTrainingRun,
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: trainingRunsQueryKey }),
        // The run also appears in its experiment, which may be new.
        queryClient.invalidateQueries({ queryKey: ['experiments'] }),
      ]),
  });
}
