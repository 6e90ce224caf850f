/**
 * An experiment's runs: a checkbox to pick runs to compare, name, status, the last value of
 * every metric, the params that differ, and when it started. Metric, param and date headers
 * sort the runs (on the server, so every page agrees).
 */
import { Link } from 'react-router';

import table from '../../../components/table.module.css';
import { TrainingStatusBadge } from '../../../components/training-status-badge';
import { formatChartValue } from '../../../components/ui/line-chart';
import { formatDateTime } from '../../../lib/format';
import type { Run } from '../api/search-runs';
import { formatParam, metricColumns, paramColumns } from '../utils/run-columns';
import { nextSort, type RunSort, sameColumn, type SortKind } from '../utils/run-sort';
import styles from './experiments.module.css';

interface RunsTableProps {
  runs: readonly Run[];
  sort: RunSort | null;
  onSort: (sort: RunSort | null) => void;
  selected: ReadonlySet<number>;
  onToggle: (runId: number) => void;
  /** False shows every param; true only those whose values differ between the runs. */
  onlyDifferingParams: boolean;
}

function SortHeader({
  label,
  kind,
  sortKey,
  sort,
  onSort,
  numeric = false,
}: {
  label: string;
  kind: SortKind;
  sortKey: string;
  sort: RunSort | null;
  onSort: (sort: RunSort | null) => void;
  numeric?: boolean;
}) {
  const active = sameColumn(sort, kind, sortKey);
  const direction = active ? sort?.direction : undefined;
  return (
    <th
      scope="col"
      className={numeric ? table.numeric : undefined}
      aria-sort={direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : 'none'}
    >
      <button
        type="button"
        className={styles.sortButton}
        onClick={() => onSort(nextSort(sort, kind, sortKey))}
      >
        {label}
        <span aria-hidden="true" className={styles.sortMark}>
          {direction === 'asc' ? '▲' : direction === 'desc' ? '▼' : '↕'}
        </span>
      </button>
    </th>
  );
}

export function RunsTable({
  runs,
  sort,
  onSort,
  selected,
  onToggle,
  onlyDifferingParams,
}: RunsTableProps) {
  const metrics = metricColumns(runs);
  const params = paramColumns(runs, onlyDifferingParams);
  return (
    <div className={table.wrap}>
      <table className={table.table} data-testid="runs-table">
        <caption className="visually-hidden">Runs</caption>
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">Compare</span>
            </th>
            <SortHeader label="Name" kind="attribute" sortKey="name" sort={sort} onSort={onSort} />
            <SortHeader
              label="Status"
              kind="attribute"
              sortKey="status"
              sort={sort}
              onSort={onSort}
            />
            {metrics.map((key) => (
              <SortHeader
                key={`m-${key}`}
                label={key}
                kind="metrics"
                sortKey={key}
                sort={sort}
                onSort={onSort}
                numeric
              />
            ))}
            {params.map((key) => (
              <SortHeader
                key={`p-${key}`}
                label={key}
                kind="params"
                sortKey={key}
                sort={sort}
                onSort={onSort}
              />
            ))}
            <SortHeader
              label="Created"
              kind="attribute"
              sortKey="created_at"
              sort={sort}
              onSort={onSort}
            />
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-testid="run-row">
              <td>
                <input
                  type="checkbox"
                  checked={selected.has(run.id)}
                  onChange={() => onToggle(run.id)}
                  aria-label={`Compare ${run.name}`}
                />
              </td>
              <th scope="row">
                <Link to={`/experiments/runs/${run.id}`}>{run.name}</Link>
              </th>
              <td>
                <TrainingStatusBadge status={run.status} />
              </td>
              {metrics.map((key) => {
                const summary = run.metrics[key];
                return (
                  <td
                    key={`m-${key}`}
                    className={table.numeric}
                    title={
                      summary
                        ? `min ${formatChartValue(summary.min)}, max ${formatChartValue(summary.max)}, step ${summary.last_step}`
                        : undefined
                    }
                  >
                    {summary ? formatChartValue(summary.last) : '–'}
                  </td>
                );
              })}
              {params.map((key) => (
                <td key={`p-${key}`}>{formatParam(run.params[key])}</td>
              ))}
              <td>
                <time dateTime={run.created_at}>{formatDateTime(run.created_at)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
