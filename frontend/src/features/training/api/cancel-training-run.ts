/** `POST /api/v1/training-runs/{id}/cancel/`: asks the worker to stop at its next step. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { type TrainingRun, trainingRunsQueryKey } from '../../../lib/api/get-training-runs';

export function cancelTrainingRun(trainingRunId: number): Promise<TrainingRun> {
  return api.post<TrainingRun>(`/api/v1/training-runs/${trainingRunId}/cancel/`);
}

export function useCancelTrainingRun() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelTrainingRun,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trainingRunsQueryKey }),
  });
}
