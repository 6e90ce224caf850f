/** The Sweeps page: the user's sweeps (or one experiment's), each with its progress and best. */
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';

import { EmptyState } from '../../../components/empty-state';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { idParam } from '../../../lib/search-params';
import { useSweeps } from '../api/get-sweeps';
import { NewSweepDialog } from './new-sweep-dialog';

export function SweepsPage() {
  const [params] = useSearchParams();
  const experimentId = idParam(params.get('experiment'));
  const sweeps = useSweeps(experimentId);
  const [createOpen, setCreateOpen] = useState(false);
  const list = sweeps.data?.results ?? [];
  const newSweep = (
    <Button variant="primary" onClick={() => setCreateOpen(true)}>
      New sweep
    </Button>
  );
  return (
    <Page
      title="Sweeps"
      lead="Search training options with Optuna: each trial is a training run; the best is marked."
      actions={newSweep}
    >
      <QueryState
        query={sweeps}
        loading="Loading sweeps…"
        failure="Could not load your sweeps."
        isEmpty={list.length === 0}
        empty={
          <EmptyState
            title="No sweeps yet"
            description="Start one to search learning rates, widths and more."
            action={newSweep}
          />
        }
      >
        <div className={table.wrap}>
          <table className={table.table}>
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Trials</th>
                <th>Objective</th>
              </tr>
            </thead>
            <tbody>
              {list.map((sweep) => (
                <tr key={sweep.id}>
                  <td>
                    <Link to={`/sweeps/${sweep.id}`}>{sweep.name}</Link>
                  </td>
                  <td>{sweep.status}</td>
                  <td>
                    {sweep.trial_count} / {sweep.max_trials}
                  </td>
                  <td>
                    {sweep.direction} {sweep.objective_metric}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </QueryState>
      <NewSweepDialog open={createOpen} onOpenChange={setCreateOpen} experimentId={experimentId} />
    </Page>
  );
}
