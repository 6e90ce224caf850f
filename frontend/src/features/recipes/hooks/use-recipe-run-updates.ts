/**
 * Live recipe runs from the notifications socket: `recipe_run.progress` moves the progress
 * of a run already on screen without a request, and `recipe_run.finished` reads the runs
 * (and the datasets, which hold the run's new versions) again.
 */
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useContext, useEffect } from 'react';

import { datasetsQueryKey } from '../../../lib/api/get-datasets';
import { NotificationsContext } from '../../../lib/notifications';
import { recipeRunQueryKey } from '../api/get-recipe-run';
import { recipeRunsQueryKey } from '../api/get-recipe-runs';
import type { RecipeRun, RecipeRunPage, RunProgress } from '../api/types';

interface ProgressMessage extends RunProgress {
  id: number;
}

function withProgress(run: RecipeRun, message: ProgressMessage): RecipeRun {
  if (run.id !== message.id) return run;
  const progress: RunProgress = {
    step: message.step,
    records_in: message.records_in,
    records_out: message.records_out,
    fraction: message.fraction,
  };
  // A progress event means the worker has started, whatever the last read said.
  return { ...run, status: run.status === 'queued' ? 'running' : run.status, progress };
}

function applyProgress(queryClient: QueryClient, message: ProgressMessage): void {
  queryClient.setQueryData<RecipeRun>(recipeRunQueryKey(message.id), (run) =>
    run ? withProgress(run, message) : run,
  );
  queryClient.setQueriesData<RecipeRunPage>(
    { queryKey: [...recipeRunsQueryKey, 'list'] },
    (page) =>
      page ? { ...page, results: page.results.map((r) => withProgress(r, message)) } : page,
  );
}

export function useRecipeRunUpdates(): void {
  // Optional: without the socket (tests, a page outside the app shell) polling still works.
  const socket = useContext(NotificationsContext);
  const queryClient = useQueryClient();
  useEffect(() => {
    if (socket === null) return undefined;
    return socket.subscribe((message) => {
      if (message.type === 'recipe_run.progress' && typeof message.id === 'number') {
        applyProgress(queryClient, message as unknown as ProgressMessage);
      } else if (message.type === 'recipe_run.finished') {
        void queryClient.invalidateQueries({ queryKey: recipeRunsQueryKey });
        void queryClient.invalidateQueries({ queryKey: datasetsQueryKey });
      }
    });
  }, [socket, queryClient]);
}
