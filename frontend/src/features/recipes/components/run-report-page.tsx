/**
 * One recipe run (`/recipe-runs/:id`): status and live progress with Cancel or Re-run, its
 * inputs and output versions, and the report: records in and out per step, why records were
 * dropped (with examples and their file:line), each step's figures (clusters, PII counts),
 * and the records no step could process.
 */
import { Link, useNavigate } from 'react-router';

import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import section from '../../../components/section.module.css';
import table from '../../../components/table.module.css';
import terms from '../../../components/term-list.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { formatDateTime } from '../../../lib/format';
import { formatBytes } from '../../../lib/format-bytes';
import { useRecipeGone } from '../api/get-recipe';
import { runReport, useRecipeRun } from '../api/get-recipe-run';
import { isActive } from '../api/get-recipe-runs';
import { useRecipeRunAction } from '../api/recipe-run-action';
import type { RecipeRun, RunReport, StepReport } from '../api/types';
import { useRecipeRunUpdates } from '../hooks/use-recipe-run-updates';
import { stepLabel } from '../utils/steps';
import styles from './recipes.module.css';
import { datasetVersionLink } from './runs-table';
import { RunProgress, RunStatusBadge } from './run-status';

function formatStat(value: unknown): string {
  if (typeof value === 'number') return value.toLocaleString();
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function StepRow({ step }: { step: StepReport }) {
  const dropped = Object.entries(step.dropped);
  const stats = Object.entries(step.stats);
  return (
    <tr data-testid="report-step">
      <th scope="row">
        {step.index + 1}. {stepLabel(step.type)}
      </th>
      <td className={table.numeric}>{step.records_in.toLocaleString()}</td>
      <td className={table.numeric}>{step.records_out.toLocaleString()}</td>
      <td>
        {dropped.length === 0 ? (
          <span className={muted.text}>–</span>
        ) : (
          <ul className={styles.examples}>
            {dropped.map(([reason, count]) => (
              <li key={reason}>
                {reason}: {count.toLocaleString()}
              </li>
            ))}
          </ul>
        )}
        {step.examples.length > 0 && (
          <details>
            <summary>Examples</summary>
            <ol className={styles.examples}>
              {step.examples.map((example, index) => (
                <li key={index}>
                  <code>
                    {example.file}:{example.line}
                  </code>{' '}
                  {example.reason}: “{example.text}”
                </li>
              ))}
            </ol>
          </details>
        )}
      </td>
      <td>
        {stats.map(([name, value]) => (
          <div key={name}>
            {name}: {formatStat(value)}
          </div>
        ))}
      </td>
    </tr>
  );
}

function Report({ report }: { report: RunReport }) {
  const errorTotal = report.error_count ?? report.errors.length;
  return (
    <>
      <dl className={`${terms.list} ${terms.figures}`}>
        <div>
          <dt>Read</dt>
          <dd>{formatBytes(report.bytes_in)}</dd>
        </div>
        <div>
          <dt>Took</dt>
          <dd>{report.seconds.toFixed(1)} s</dd>
        </div>
        {Object.entries(report.outputs).map(([part, records]) => (
          <div key={part}>
            <dt>{part}</dt>
            <dd>{records.toLocaleString()} records</dd>
          </div>
        ))}
      </dl>
      <div className={table.wrap}>
        <table className={`${table.table} ${table.top}`} data-testid="run-report">
          <caption className="visually-hidden">Steps</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col" className={table.numeric}>
                In
              </th>
              <th scope="col" className={table.numeric}>
                Out
              </th>
              <th scope="col">Dropped</th>
              <th scope="col">Figures</th>
            </tr>
          </thead>
          <tbody>
            {report.steps.map((step) => (
              <StepRow key={step.index} step={step} />
            ))}
          </tbody>
        </table>
      </div>
      {errorTotal > 0 && (
        <section className={section.detail} aria-labelledby="run-errors-title">
          <h2 id="run-errors-title">
            Records no step could process ({errorTotal.toLocaleString()})
          </h2>
          <ol className={styles.examples} data-testid="run-errors">
            {report.errors.map((error, index) => (
              <li key={index}>
                <code>
                  {error.file}:{error.line}
                </code>{' '}
                {error.step !== null && `step ${error.step + 1}: `}
                {error.message}
              </li>
            ))}
          </ol>
          {errorTotal > report.errors.length && (
            <p className={muted.small}>
              The first {report.errors.length} of {errorTotal.toLocaleString()} are listed.
            </p>
          )}
        </section>
      )}
    </>
  );
}

function RunActions({ run, recipeGone }: { run: RecipeRun; recipeGone: boolean }) {
  const navigate = useNavigate();
  const action = useRecipeRunAction();
  return (
    <>
      {isActive(run.status) ? (
        <Button variant="danger" onClick={() => action.mutate({ runId: run.id, action: 'cancel' })}>
          Cancel
        </Button>
      ) : recipeGone ? (
        <span className={muted.small} data-testid="rerun-unavailable">
          Cannot run again: its recipe was deleted or is no longer shared with you.
        </span>
      ) : (
        <Button
          onClick={() =>
            action.mutate(
              { runId: run.id, action: 'rerun' },
              { onSuccess: (next) => void navigate(`/recipe-runs/${next.id}`) },
            )
          }
        >
          Re-run
        </Button>
      )}
      {action.error && <FormError>{action.error.message}</FormError>}
    </>
  );
}

export function RunReportPage({ runId }: { runId: number }) {
  useRecipeRunUpdates();
  const run = useRecipeRun(runId);
  const data = run.data;
  const report = data ? runReport(data) : null;
  const recipeGone = useRecipeGone(data?.recipe);
  return (
    <Page
      title={data ? `Run of “${data.recipe_name}”` : 'Recipe run'}
      actions={data && <RunActions run={data} recipeGone={recipeGone} />}
    >
      <QueryState query={run} loading="Loading the run…" failure="Could not load the run.">
        {data && (
          <>
            <section className={`${card.card} ${card.loose}`} aria-label="Run">
              <p>
                <RunStatusBadge run={data} />{' '}
                <span className={muted.text}>
                  {recipeGone ? (
                    <span data-testid="run-recipe">{data.recipe_name} (no longer available)</span>
                  ) : (
                    <Link to={`/recipes/${data.recipe}`}>{data.recipe_name}</Link>
                  )}{' '}
                  version {data.recipe_version} · started{' '}
                  <time dateTime={data.created_at}>{formatDateTime(data.created_at)}</time>
                </span>
              </p>
              <RunProgress run={data} steps={data.steps.map((step) => step.type)} />
              {data.error && <FormError>{data.error}</FormError>}
              {data.outputs.length > 0 && (
                <p data-testid="run-outputs">
                  Output:{' '}
                  {data.outputs.map((output) => (
                    <Link key={output.dataset_version} to={datasetVersionLink(output)}>
                      {output.dataset_name} v{output.number} ({output.part}){' '}
                    </Link>
                  ))}
                </p>
              )}
            </section>
            {report ? (
              <Report report={report} />
            ) : (
              <p className={muted.text} role="status">
                The report appears here when the run ends.
              </p>
            )}
          </>
        )}
      </QueryState>
    </Page>
  );
}
