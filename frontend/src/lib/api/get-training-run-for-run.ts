/**
 * The training run behind a tracked experiment run, if there is one. The training list has
 * no filter by run yet, so this pages through it (newest first, where a run being watched
 * usually is) until it finds the run or the list ends; `run` is sent too, so a server that
 * learns to filter answers with one short page.
 */
import { useQuery } from '@tanstack/react-query';

import { api } from '../api-client';
import {
  type TrainingRun,
  type TrainingRunPage,
  isActive,
  trainingRunsQueryKey,
} from './get-training-runs';

const PAGE_SIZE = 100;

export async function findTrainingRunForRun(
  runId: number,
  signal?: AbortSignal,
): Promise<TrainingRun | null> {
  for (let page = 1; ; page += 1) {
    const data = await api.get<TrainingRunPage>('/api/v1/training-runs/', {
      query: { run: runId, page, page_size: PAGE_SIZE },
      signal,
    });
    const found = data.results.find((training) => training.run === runId);
    if (found) return found;
    if (!data.next) return null;
  }
}

export function trainingRunForRunQueryKey(runId: number) {
  return [...trainingRunsQueryKey, 'for-run', runId] as const;
}

export function useTrainingRunForRun(runId: number) {
  return useQuery({
    queryKey: trainingRunForRunQueryKey(runId),
    queryFn: ({ signal }) => findTrainingRunForRun(runId, signal),
    // The live socket carries progress; this slow poll only catches what the socket missed.
    refetchInterval: (query) =>
      query.state.data && isActive(query.state.data.status) ? 15_000 : false,
  });
}
