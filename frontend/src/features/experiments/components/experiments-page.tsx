/**
 * The Experiments page: the experiments on the left, the selected one's runs on the right
 * with a filter, sortable columns and a pick of runs to compare. Experiment, filter, sort and
 * page live in the URL, so a view can be shared and survives a reload.
 */
import { type ReactNode, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';

import { AccessBadge } from '../../../components/access-badge';
import { EmptyState } from '../../../components/empty-state';
import loadError from '../../../components/load-error.module.css';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import pager from '../../../components/pager.module.css';
import { QueryState } from '../../../components/query-state';
import { type Scope, ScopeFilter, scopeQuery } from '../../../components/scope-filter';
import section from '../../../components/section.module.css';
import { ShareDialog } from '../../../components/sharing/share-dialog';
import { Button } from '../../../components/ui/button';
import { allows } from '../../../lib/access-actions';
import { MasterDetail } from '../../../components/ui/master-detail';
import { ApiError } from '../../../lib/api-client';
import { idParam } from '../../../lib/search-params';
import { MAX_COMPARED_RUNS } from '../api/compare-runs';
import { type Experiment, useExperiments } from '../api/get-experiments';
import { RUNS_PAGE_SIZE, useRuns } from '../api/search-runs';
import { orderByParam, sortFromParam, sortToParam } from '../utils/run-sort';
import { CreateExperimentDialog } from './create-experiment-dialog';
import styles from './experiments.module.css';
import { FilterBox } from './filter-box';
import { RunsTable } from './runs-table';

interface ExperimentsPageProps {
  /** The dialog that starts a training run (the training feature's, composed in by the route). */
  newTrainingRun: (props: {
    open: boolean;
    onOpenChange: (open: boolean) => void;
    experiment?: { id: number; name: string };
  }) => ReactNode;
}

export function ExperimentsPage({ newTrainingRun }: ExperimentsPageProps) {
  const [scope, setScope] = useState<Scope>('all');
  const experiments = useExperiments(scopeQuery(scope));
  const [params, setParams] = useSearchParams();
  const [createOpen, setCreateOpen] = useState(false);
  const [trainingOpen, setTrainingOpen] = useState(false);

  const list = experiments.data?.results ?? [];
  const selectedId = idParam(params.get('experiment'));
  const selected = list.find((experiment) => experiment.id === selectedId) ?? list[0] ?? null;

  function selectExperiment(experimentId: number) {
    setParams(new URLSearchParams({ experiment: String(experimentId) }), { replace: true });
  }

  const actions = (
    <>
      <Button onClick={() => setCreateOpen(true)}>New experiment</Button>
      <Button variant="primary" onClick={() => setTrainingOpen(true)}>
        New training run
      </Button>
    </>
  );

  return (
    <Page
      title="Experiments"
      lead="Every training run with its params and metrics. Filter, sort, and compare runs side by side."
      actions={actions}
    >
      <ScopeFilter label="Which experiments" value={scope} onChange={setScope} />
      <QueryState
        query={experiments}
        loading="Loading experiments…"
        failure="Could not load your experiments."
        isEmpty={list.length === 0}
        empty={
          <EmptyState
            title={scope === 'shared' ? 'Nothing shared with you yet' : 'No experiments yet'}
            description="Start a training run on a dataset and it is tracked here, with its loss curves as it learns."
            action={
              <Button variant="primary" onClick={() => setTrainingOpen(true)}>
                New training run
              </Button>
            }
            data-testid="experiments-empty"
          />
        }
      >
        <MasterDetail
          label="Experiments"
          items={list}
          selectedId={selected?.id ?? null}
          onSelect={selectExperiment}
          meta={(experiment) => (
            <>
              {experiment.run_count ?? 0} {experiment.run_count === 1 ? 'run' : 'runs'}{' '}
              <AccessBadge accessRole={experiment.access_role} />
            </>
          )}
          listWidth="15rem"
        >
          {selected && <ExperimentRuns key={selected.id} experiment={selected} />}
        </MasterDetail>
      </QueryState>
      <CreateExperimentDialog
        open={createOpen}
        onOpenChange={setCreateOpen}
        onCreated={(experiment) => {
          setCreateOpen(false);
          selectExperiment(experiment.id);
        }}
      />
      {newTrainingRun({
        open: trainingOpen,
        onOpenChange: setTrainingOpen,
        // Training files its run in the selected experiment only where the caller may run.
        experiment:
          selected && allows(selected.access_role, 'run')
            ? { id: selected.id, name: selected.name }
            : undefined,
      })}
    </Page>
  );
}

function ExperimentRuns({ experiment }: { experiment: Experiment }) {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [allParams, setAllParams] = useState(false);

  const filter = params.get('filter') ?? '';
  const sort = sortFromParam(params.get('sort'));
  const page = Math.max(1, Number(params.get('page')) || 1);
  const runs = useRuns(experiment.id, { filter, orderBy: orderByParam(sort), page });

  function update(changes: Record<string, string | null>) {
    const next = new URLSearchParams(params);
    next.set('experiment', String(experiment.id));
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(key);
      else next.set(key, value);
    }
    setParams(next, { replace: true });
  }

  function toggle(runId: number) {
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(runId)) next.delete(runId);
      else if (next.size < MAX_COMPARED_RUNS) next.add(runId);
      return next;
    });
  }

  const error = runs.error instanceof ApiError ? runs.error : null;
  const filterError = error?.fieldMessage('filter') ?? null;
  const orderError = error?.fieldMessage('order_by') ?? null;
  const data = runs.data;

  return (
    <section className={styles.runs} aria-labelledby="experiment-title">
      <header className={`${section.header} ${section.alignEnd}`}>
        <div>
          <h2 id="experiment-title">{experiment.name}</h2>
          {experiment.description && <p className={muted.text}>{experiment.description}</p>}
        </div>
        <div className={styles.headerActions}>
          <label className={styles.checkbox}>
            <input
              type="checkbox"
              checked={allParams}
              onChange={(event) => setAllParams(event.target.checked)}
            />
            All params
          </label>
          <Button
            disabled={selected.size < 2}
            onClick={() => void navigate(`/experiments/compare?ids=${[...selected].join(',')}`)}
          >
            Compare {selected.size > 0 ? `(${selected.size})` : ''}
          </Button>
          <Button onClick={() => void navigate(`/sweeps?experiment=${experiment.id}`)}>
            Sweeps
          </Button>
          <ShareDialog kind="experiment" id={experiment.id} />
        </div>
      </header>
      <FilterBox
        value={filter}
        error={filterError}
        onApply={(next) => update({ filter: next, page: null })}
      />
      {orderError && (
        <p role="alert" className={styles.inlineError}>
          Sorting failed: {orderError}
        </p>
      )}
      {runs.isPending ? (
        <p role="status" className={muted.text}>
          Loading runs…
        </p>
      ) : runs.isError && filterError === null && orderError === null ? (
        <div role="alert" className={loadError.box}>
          <p>Could not load the runs. {runs.error.message}</p>
          <Button size="small" onClick={() => void runs.refetch()}>
            Try again
          </Button>
        </div>
      ) : data === undefined || filterError !== null || orderError !== null ? null : data.results
          .length === 0 ? (
        <p className={muted.text} data-testid="runs-empty">
          {filter ? 'No run matches this filter.' : 'No runs in this experiment yet.'}
        </p>
      ) : (
        <>
          <RunsTable
            runs={data.results}
            sort={sort}
            onSort={(next) => update({ sort: sortToParam(next), page: null })}
            selected={selected}
            onToggle={toggle}
            onlyDifferingParams={!allParams}
          />
          {data.count > RUNS_PAGE_SIZE && (
            <nav className={pager.pager} aria-label="Run pages">
              <Button
                size="small"
                disabled={!data.previous}
                onClick={() => update({ page: String(page - 1) })}
              >
                Previous
              </Button>
              <span className={muted.text}>
                Page {page} of {Math.ceil(data.count / RUNS_PAGE_SIZE)}
              </span>
              <Button
                size="small"
                disabled={!data.next}
                onClick={() => update({ page: String(page + 1) })}
              >
                Next
              </Button>
            </nav>
          )}
        </>
      )}
    </section>
  );
}
