/**
 * `POST /api/v1/training-runs/{id}/resume/`: queues a stopped run again from its last
 * checkpoint, optionally with more steps than it first had.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { type TrainingRun, trainingRunsQueryKey } from '../../../lib/api/get-training-runs';

export function resumeTrainingRun({
  trainingRunId,
  extraSteps,
}: {
  trainingRunId: number;
  extraSteps?: number;
}): Promise<TrainingRun> {
  return api.post<TrainingRun>(
    `/api/v1/training-runs/${trainingRunId}/resume/`,
    extraSteps ? { extra_steps: extraSteps } : {},
  );
}

export function useResumeTrainingRun() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: resumeTrainingRun,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trainingRunsQueryKey }),
  });
}
