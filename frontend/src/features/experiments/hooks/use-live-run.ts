/**
 * Everything the live run page shows, kept current from the run's socket: metric curves (the
 * server's series first, live points merged on top), progress and status written into the
 * query cache so every view of the run agrees, and the log (the server's kept lines, then
 * the live ones).
 */
import { useQueries, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';

import {
  trainingRunForRunQueryKey,
  useTrainingRunForRun,
} from '../../../lib/api/get-training-run-for-run';
import { trainingRunLogQueryKey, useTrainingRunLog } from '../../../lib/api/get-training-run-log';
import type { TrainingRun } from '../../../lib/api/get-training-runs';
import { trainingRunsQueryKey } from '../../../lib/api/get-training-runs';
import { artifactsQueryKey } from '../api/get-artifacts';
import { metricKeysQueryKey, useMetricKeys } from '../api/get-metric-keys';
import {
  type MetricSeriesData,
  metricSeriesQueryKey,
  metricSeriesQueryOptions,
} from '../api/get-metric-series';
import { type RunDetail, runQueryKey } from '../api/get-run';
import { mergePoints, overlaySeries, type Series } from '../utils/live-series';
import { type LogEntry, mergeLogLines } from '../utils/log-lines';
import { type RunEvent, useRunSocket } from './use-run-socket';

/** Enough to scroll back through a long run without the page growing without bound. */
export const MAX_LOG_LINES = 2_000;
const NO_LINES: LogEntry[] = [];

const EMPTY: Series = { steps: [], values: [] };
// Overlays by the identity of their inputs: a curve that received no new points keeps its
// object, so its chart does not redraw when another curve grows.
const overlays = new WeakMap<object, WeakMap<object, Series>>();

function cachedOverlay(base: MetricSeriesData | undefined, live: Series | undefined): Series {
  if (base === undefined && live === undefined) return EMPTY;
  const outer = base ?? EMPTY;
  const inner = live ?? EMPTY;
  let byLive = overlays.get(outer);
  if (byLive === undefined) {
    byLive = new WeakMap();
    overlays.set(outer, byLive);
  }
  let result = byLive.get(inner);
  if (result === undefined) {
    result = overlaySeries(base && { steps: base.steps, values: base.values }, live);
    byLive.set(inner, result);
  }
  return result;
}

// Module-level, so TanStack Query can keep the combined array stable between renders.
function seriesData(results: readonly { data?: MetricSeriesData }[]) {
  return results.map((result) => result.data);
}

export function useLiveRun(runId: number, createSocket?: (url: string) => WebSocket) {
  const queryClient = useQueryClient();
  const [live, setLive] = useState<Record<string, Series>>({});
  const [liveLog, setLiveLog] = useState<LogEntry[]>([]);
  const metricKeys = useMetricKeys(runId);
  const trainingId = useTrainingRunForRun(runId).data?.id;
  const storedLog = useTrainingRunLog(trainingId);

  function onEvent(event: RunEvent) {
    if (event.run !== runId) return;
    switch (event.type) {
      case 'run.metrics':
        setLive((current) => mergePoints(current, event.points));
        return;
      case 'run.progress':
        queryClient.setQueryData<TrainingRun | null>(
          trainingRunForRunQueryKey(runId),
          (training) =>
            training
              ? {
                  ...training,
                  step: event.step,
                  max_steps: event.max_steps,
                  eta_seconds: event.eta_seconds,
                  // Older servers sent only the step; keep what is known then.
                  tokens_per_s: event.tokens_per_s ?? training.tokens_per_s,
                  best_val_loss: event.best_val_loss ?? training.best_val_loss,
                }
              : training,
        );
        return;
      case 'run.log':
        setLiveLog((lines) =>
          [...lines, { id: event.id ?? null, line: event.line }].slice(-MAX_LOG_LINES),
        );
        return;
      case 'run.status':
        queryClient.setQueryData<RunDetail>(runQueryKey(runId), (run) =>
          run ? { ...run, status: event.status as RunDetail['status'] } : run,
        );
        // A finished run has new checkpoints and a final row; fetch them.
        void queryClient.invalidateQueries({ queryKey: trainingRunsQueryKey });
        void queryClient.invalidateQueries({ queryKey: artifactsQueryKey(runId) });
        return;
    }
  }

  const connection = useRunSocket(
    runId,
    {
      onEvent,
      // Points sent while the socket was down are only on the server now.
      onReconnect: () => {
        void queryClient.invalidateQueries({ queryKey: runQueryKey(runId) });
        void queryClient.invalidateQueries({ queryKey: trainingRunLogQueryKey(trainingId) });
      },
    },
    createSocket,
  );

  const keys = useMemo(() => {
    const all = new Set(Object.keys(live));
    metricKeys.data?.results.forEach((summary) => all.add(summary.key));
    return [...all].sort();
  }, [live, metricKeys.data]);

  const fetchedKeys = useMemo(
    () => metricKeys.data?.results.map((summary) => summary.key) ?? [],
    [metricKeys.data],
  );
  const fetched = useQueries({
    queries: fetchedKeys.map((key) => metricSeriesQueryOptions(runId, key)),
    combine: seriesData,
  });

  const series = useMemo(() => {
    const byKey: Record<string, Series> = {};
    for (const key of keys) {
      const index = fetchedKeys.indexOf(key);
      const data = index === -1 ? undefined : fetched[index];
      byKey[key] = cachedOverlay(data, live[key]);
    }
    return byKey;
  }, [keys, fetchedKeys, fetched, live]);

  const storedLines = storedLog.data?.lines ?? NO_LINES;
  const logLines = useMemo(
    () => mergeLogLines(storedLines, liveLog, MAX_LOG_LINES),
    [storedLines, liveLog],
  );

  return {
    series,
    keys,
    logLines,
    connection,
    loadingSeries: metricKeys.isPending,
    seriesError: metricKeys.error,
    refetchSeries: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: metricKeysQueryKey(runId) }),
        ...fetchedKeys.map((key) =>
          queryClient.invalidateQueries({ queryKey: metricSeriesQueryKey(runId, key) }),
        ),
      ]),
  };
}
