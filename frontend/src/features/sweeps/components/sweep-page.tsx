/**
 * One sweep: its status and budget with Pause/Resume/Cancel, the best trial with "Register as
 * model version", the optimization history, parallel coordinates, parameter importances and
 * the trial table. Changes arrive live on the notifications socket.
 */
import { useState } from 'react';
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import section from '../../../components/section.module.css';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { formatChartValue, LineChart } from '../../../components/ui/line-chart';
import { useSweep } from '../api/get-sweep';
import { useSweepTrials } from '../api/get-sweep-trials';
import { useSweepAction } from '../api/sweep-action';
import { useSweepUpdates } from '../hooks/use-sweep-updates';
import { historyData, type ParamSpec } from '../utils/trial-charts';
import { BestTrial } from './best-trial';
import { ParallelCoordinates } from './parallel-coordinates';
import { ParamImportances } from './param-importances';
import styles from './sweeps.module.css';
import { TrialsTable } from './trials-table';

const STATUS_TONES = {
  running: 'info',
  paused: 'warning',
  finished: 'success',
  cancelled: 'neutral',
  failed: 'danger',
} as const;

export function SweepPage({ sweepId }: { sweepId: number }) {
  useSweepUpdates(sweepId);
  const sweep = useSweep(sweepId);
  const trials = useSweepTrials(sweepId, sweep.data?.status === 'running');
  const action = useSweepAction(sweepId);
  const [actionError, setActionError] = useState<string | null>(null);
  const data = sweep.data;
  const space = (data?.search_space ?? []) as ParamSpec[];
  const list = trials.data ?? [];
  const best = list.find((trial) => trial.id === data?.best_trial) ?? null;

  function act(name: 'pause' | 'resume' | 'cancel') {
    setActionError(null);
    action.mutate(name, { onError: (error) => setActionError(error.message) });
  }

  const actions = data && (
    <>
      {data.status === 'running' && <Button onClick={() => act('pause')}>Pause</Button>}
      {data.status === 'paused' && <Button onClick={() => act('resume')}>Resume</Button>}
      {(data.status === 'running' || data.status === 'paused') && (
        <Button variant="danger" onClick={() => act('cancel')}>
          Cancel
        </Button>
      )}
    </>
  );

  return (
    <Page title={data ? `Sweep: ${data.name}` : 'Sweep'} actions={actions}>
      <QueryState query={sweep} loading="Loading the sweep…" failure="Could not load the sweep.">
        {data && (
          <>
            <p>
              <Badge tone={STATUS_TONES[data.status ?? 'running']} data-testid="sweep-status">
                {data.status}
              </Badge>{' '}
              <span className={muted.text}>
                {data.trial_count} of {data.max_trials} trials, {data.running_count} running ·{' '}
                {data.direction} {data.objective_metric} · {data.sampler} sampler · pruner{' '}
                {data.pruner} ·{' '}
                <Link to={`/experiments?experiment=${data.experiment}`}>experiment</Link>
              </span>
            </p>
            {data.error && <p role="alert">{data.error}</p>}
            {actionError && <p role="alert">{actionError}</p>}
            {best && (
              <BestTrial sweepName={data.name} trial={best} metric={data.objective_metric} />
            )}
            <div className={styles.charts}>
              <section className={section.section}>
                <LineChart
                  title="Optimization history"
                  series={[
                    { label: data.objective_metric ?? 'objective', color: '#2f5bd3' },
                    { label: 'best so far', color: '#d1602b', dashed: true },
                  ]}
                  data={historyData(list, data.direction ?? 'minimize')}
                  xLabel="trial"
                  formatValue={formatChartValue}
                  emptyText="The history appears once a trial completes."
                  data-testid="optimization-history"
                />
              </section>
              <section className={section.section}>
                <h2>Parameter importances</h2>
                <ParamImportances sweepId={sweepId} />
              </section>
            </div>
            <section className={section.section}>
              <h2>Parallel coordinates</h2>
              <ParallelCoordinates
                space={space}
                trials={list}
                direction={data.direction ?? 'minimize'}
                bestNumber={best?.number ?? null}
              />
            </section>
            <section className={section.section}>
              <h2>Trials</h2>
              <QueryState
                query={trials}
                loading="Loading trials…"
                failure="Could not load the trials."
              >
                <TrialsTable
                  trials={list}
                  paramNames={space.map((spec) => spec.name)}
                  bestId={data.best_trial ?? null}
                />
              </QueryState>
            </section>
          </>
        )}
      </QueryState>
    </Page>
  );
}
