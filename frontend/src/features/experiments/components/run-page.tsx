/**
 * The live page of one run (`/experiments/runs/:runId`): status, progress with time left,
 * Cancel and Resume, charts that grow as the worker reports, the log as it is written, the
 * run's params and its artifacts. Nothing here needs a reload: the run's socket feeds it.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';

import card from '../../../components/card.module.css';
import loadError from '../../../components/load-error.module.css';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import stack from '../../../components/stack.module.css';
import terms from '../../../components/term-list.module.css';
import { TrainingProgress } from '../../../components/training-progress';
import { TrainingStatusBadge } from '../../../components/training-status-badge';
import { Button } from '../../../components/ui/button';
import { useTrainingRunForRun } from '../../../lib/api/get-training-run-for-run';
import type { TrainingRun } from '../../../lib/api/get-training-runs';
import { useRun } from '../api/get-run';
import { useLiveRun } from '../hooks/use-live-run';
import { formatParam } from '../utils/run-columns';
import { ArtifactsList } from './artifacts-list';
import styles from './experiments.module.css';
import { LogPanel } from './log-panel';
import { MetricCharts } from './metric-charts';

const connectionText = {
  open: 'Live',
  connecting: 'Reconnecting…',
  closed: 'Not live',
} as const;

interface RunPageProps {
  runId: number;
  /** Cancel and Resume for a training run (the training feature's, composed in by the route). */
  controls: (training: TrainingRun) => ReactNode;
  /** Tests pass a fake socket; the app uses the browser's. */
  createSocket?: (url: string) => WebSocket;
}

export function RunPage({ runId, controls, createSocket }: RunPageProps) {
  const run = useRun(runId);
  const training = useTrainingRunForRun(runId);
  const live = useLiveRun(runId, createSocket);

  if (run.isPending) {
    return (
      <Page title="Run">
        <p role="status" className={muted.text}>
          Loading the run…
        </p>
      </Page>
    );
  }
  if (run.isError) {
    return (
      <Page title="Run">
        <div role="alert" className={loadError.box}>
          <p>Could not load this run. {run.error.message}</p>
          <Button size="small" onClick={() => void run.refetch()}>
            Try again
          </Button>
        </div>
      </Page>
    );
  }

  const detail = run.data;
  const trainingRun = training.data ?? null;
  const params = Object.entries(detail.params).sort(([a], [b]) => a.localeCompare(b));

  return (
    <Page
      title={detail.name}
      lead={
        <>
          <Link to={`/experiments?experiment=${detail.experiment}`}>Back to the experiment</Link>
          {' · '}
          <span className={styles.connection} data-state={live.connection}>
            {connectionText[live.connection]}
          </span>
        </>
      }
      actions={
        <>
          <TrainingStatusBadge status={detail.status} data-testid="run-status" />
          {trainingRun && controls(trainingRun)}
        </>
      }
    >
      {trainingRun && (
        <section className={card.card} aria-label="Training progress">
          <TrainingProgress
            step={trainingRun.step}
            maxSteps={trainingRun.max_steps}
            etaSeconds={trainingRun.eta_seconds ?? null}
            status={trainingRun.status}
            runsAhead={trainingRun.runs_ahead}
            data-testid="run-progress"
          />
          <dl className={`${terms.list} ${terms.figures} ${terms.tight}`}>
            <div>
              <dt>Best validation loss</dt>
              <dd>{trainingRun.best_val_loss?.toFixed(4) ?? '–'}</dd>
            </div>
            <div>
              <dt>Tokens / s</dt>
              <dd>
                {trainingRun.tokens_per_s
                  ? Math.round(trainingRun.tokens_per_s).toLocaleString()
                  : '–'}
              </dd>
            </div>
            <div>
              <dt>Attempts</dt>
              <dd>{trainingRun.attempts}</dd>
            </div>
            <div>
              <dt>Processes</dt>
              <dd data-testid="run-processes">{processesText(trainingRun)}</dd>
            </div>
            <div>
              <dt>CPU-seconds</dt>
              <dd data-testid="run-cpu-seconds">
                {Math.round(trainingRun.cpu_seconds).toLocaleString()}
              </dd>
            </div>
          </dl>
          {trainingRun.error && (
            <p role="alert" className={styles.inlineError}>
              {trainingRun.error}
            </p>
          )}
        </section>
      )}

      {live.seriesError ? (
        <div role="alert" className={loadError.box}>
          <p>Could not load the metrics. {live.seriesError.message}</p>
          <Button size="small" onClick={() => void live.refetchSeries()}>
            Try again
          </Button>
        </div>
      ) : (
        <MetricCharts series={live.series} keys={live.keys} />
      )}

      <LogPanel lines={live.logLines} />
      <ArtifactsList runId={runId} />

      {params.length > 0 && (
        <details className={stack.stack}>
          <summary className={styles.sectionTitle}>Params ({params.length})</summary>
          <dl className={`${terms.list} ${terms.figures} ${terms.tight} ${styles.params}`}>
            {params.map(([key, value]) => (
              <div key={key}>
                <dt>{key}</dt>
                <dd>{formatParam(value)}</dd>
              </div>
            ))}
          </dl>
        </details>
      )}
    </Page>
  );
}

/** "2 per node × 2 nodes (node 0 training, node 1 finished)", or "1" for a run in one process. */
function processesText(run: TrainingRun): string {
  const nodes = run.nnodes === 1 ? '' : ` × ${run.nnodes} nodes`;
  const counts =
    run.nnodes === 1 ? String(run.nproc_per_node) : `${run.nproc_per_node} per node${nodes}`;
  const states = Object.entries(run.node_status)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([node, state]) => `node ${node} ${state}`);
  return states.length > 0 ? `${counts} (${states.join(', ')})` : counts;
}
