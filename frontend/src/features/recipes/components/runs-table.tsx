/**
 * A recipe's runs: when, which recipe version, status with live progress, the output
 * versions, and Cancel (while it runs) or Re-run (once it ended, the same inputs again).
 */
import { useState } from 'react';
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { formatDateTime } from '../../../lib/format';
import { isActive, useRecipeRuns } from '../api/get-recipe-runs';
import { useRecipeRunAction } from '../api/recipe-run-action';
import type { RecipeRun, RunOutput } from '../api/types';
import { RunProgress, RunStatusBadge } from './run-status';

/** Where the Datasets page shows one version. */
export function datasetVersionLink(output: RunOutput): string {
  return `/datasets?dataset=${output.dataset}&version=${output.dataset_version}`;
}

export function RunsTable({ recipeId }: { recipeId: number }) {
  const runs = useRecipeRuns(recipeId);
  const action = useRecipeRunAction();
  const [error, setError] = useState<string | null>(null);
  const list = runs.data?.results ?? [];

  function act(run: RecipeRun, name: 'cancel' | 'rerun') {
    setError(null);
    action.mutate({ runId: run.id, action: name }, { onError: (e) => setError(e.message) });
  }

  return (
    <QueryState
      query={runs}
      loading="Loading runs…"
      failure="Could not load the runs."
      isEmpty={list.length === 0}
      empty={<p className={muted.text}>No runs yet. Run the recipe to make a dataset version.</p>}
    >
      {error && <FormError>{error}</FormError>}
      <div className={table.wrap}>
        <table className={`${table.table} ${table.top}`} data-testid="recipe-runs">
          <caption className="visually-hidden">Runs</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Recipe version</th>
              <th scope="col">Status</th>
              <th scope="col">Output</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((run) => (
              <tr key={run.id} data-testid="recipe-run-row">
                <th scope="row">
                  <Link to={`/recipe-runs/${run.id}`}>
                    <time dateTime={run.created_at}>{formatDateTime(run.created_at)}</time>
                  </Link>
                </th>
                <td>v{run.recipe_version}</td>
                <td>
                  <RunStatusBadge run={run} />
                  <RunProgress run={run} steps={run.steps.map((step) => step.type)} />
                </td>
                <td>
                  {run.outputs.map((output) => (
                    <Link key={output.dataset_version} to={datasetVersionLink(output)}>
                      {output.dataset_name} v{output.number}{' '}
                    </Link>
                  ))}
                </td>
                <td className={table.actions}>
                  {isActive(run.status) ? (
                    <Button size="small" variant="danger" onClick={() => act(run, 'cancel')}>
                      Cancel
                    </Button>
                  ) : (
                    <Button size="small" onClick={() => act(run, 'rerun')}>
                      Re-run
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </QueryState>
  );
}
