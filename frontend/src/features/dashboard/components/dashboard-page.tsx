/**
 * The dashboard: the latest training runs with their progress, the latest datasets, the
 * newest model versions with their stage, and the cards due for review.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';

import card from '../../../components/card.module.css';
import itemList from '../../../components/item-list.module.css';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { TrainingProgress } from '../../../components/training-progress';
import { TrainingStatusBadge } from '../../../components/training-status-badge';
import { Button } from '../../../components/ui/button';
import { useDatasets } from '../../../lib/api/get-datasets';
import { useTrainingRuns } from '../../../lib/api/get-training-runs';
import { formatDateTime } from '../../../lib/format';
import styles from './dashboard.module.css';

const RECENT = 5;

function RecentRuns() {
  const runs = useTrainingRuns({ pageSize: RECENT });
  return (
    <section className={card.card} aria-labelledby="recent-runs-title">
      <header className={styles.cardHeader}>
        <h2 id="recent-runs-title">Training runs</h2>
        <Link to="/experiments">All experiments</Link>
      </header>
      {runs.isPending ? (
        <p role="status" className={muted.small}>
          Loading runs…
        </p>
      ) : runs.isError ? (
        <div role="alert" className={styles.error}>
          <p>Could not load your runs. {runs.error.message}</p>
          <Button size="small" onClick={() => void runs.refetch()}>
            Try again
          </Button>
        </div>
      ) : runs.data.results.length === 0 ? (
        <p className={muted.small} data-testid="dashboard-runs-empty">
          No training runs yet. Upload a dataset, then start a run from it.
        </p>
      ) : (
        <ul className={itemList.items}>
          {runs.data.results.map((run) => (
            <li key={run.id} className={styles.runItem} data-testid="dashboard-run">
              <div className={itemList.header}>
                <Link to={`/experiments/runs/${run.run}`} className={itemList.name}>
                  {run.name}
                </Link>
                <TrainingStatusBadge status={run.status} />
              </div>
              <TrainingProgress
                step={run.step}
                maxSteps={run.max_steps}
                etaSeconds={run.eta_seconds ?? null}
                status={run.status}
                runsAhead={run.runs_ahead}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function RecentDatasets() {
  const datasets = useDatasets({ pageSize: RECENT });
  return (
    <section className={card.card} aria-labelledby="recent-datasets-title">
      <header className={styles.cardHeader}>
        <h2 id="recent-datasets-title">Datasets</h2>
        <Link to="/datasets">All datasets</Link>
      </header>
      {datasets.isPending ? (
        <p role="status" className={muted.small}>
          Loading datasets…
        </p>
      ) : datasets.isError ? (
        <div role="alert" className={styles.error}>
          <p>Could not load your datasets. {datasets.error.message}</p>
          <Button size="small" onClick={() => void datasets.refetch()}>
            Try again
          </Button>
        </div>
      ) : datasets.data.results.length === 0 ? (
        <p className={muted.small} data-testid="dashboard-datasets-empty">
          No datasets yet. <Link to="/datasets">Upload your first text</Link> to train on.
        </p>
      ) : (
        <ul className={itemList.items}>
          {datasets.data.results.map((dataset) => (
            <li key={dataset.id} className={itemList.item} data-testid="dashboard-dataset">
              <Link to={`/datasets?dataset=${dataset.id}`} className={itemList.name}>
                {dataset.name}
              </Link>
              <span className={muted.small}>
                {dataset.version_count} {dataset.version_count === 1 ? 'version' : 'versions'} ·{' '}
                <time dateTime={dataset.created_at}>{formatDateTime(dataset.created_at)}</time>
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** The newest model versions (the models feature's list, composed in by the route). */
type RecentModels = (limit: number) => ReactNode;

function ModelsCard({ recentModels }: { recentModels: RecentModels }) {
  return (
    <section className={card.card} aria-labelledby="models-title">
      <header className={styles.cardHeader}>
        <h2 id="models-title">Models</h2>
        <Link to="/models">Models page</Link>
      </header>
      {recentModels(RECENT)}
    </section>
  );
}

/** The cards due for review (the cards feature's count, composed in by the route). */
function ReviewCard({ dueCards }: { dueCards: ReactNode }) {
  return (
    <section className={card.card} aria-labelledby="review-title">
      <header className={styles.cardHeader}>
        <h2 id="review-title">Review</h2>
        <Link to="/review/stats">Statistics</Link>
      </header>
      {dueCards}
    </section>
  );
}

interface DashboardPageProps {
  recentModels: RecentModels;
  dueCards: ReactNode;
}

export function DashboardPage({ recentModels, dueCards }: DashboardPageProps) {
  return (
    <Page title="Dashboard" lead="What is training, and what you have trained on.">
      <div className={styles.grid}>
        <RecentRuns />
        <RecentDatasets />
        <ModelsCard recentModels={recentModels} />
        <ReviewCard dueCards={dueCards} />
      </div>
    </Page>
  );
}
