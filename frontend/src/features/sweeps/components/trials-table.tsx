/** A sweep's trials: number, params, state (with why), objective and duration; the best marked. */
import table from '../../../components/table.module.css';
import { formatChartValue } from '../../../components/ui/line-chart';
import { formatDuration } from '../../../lib/format-duration';
import type { Trial } from '../api/get-sweep-trials';
import styles from './sweeps.module.css';

interface TrialsTableProps {
  trials: readonly Trial[];
  paramNames: readonly string[];
  bestId: number | null;
}

function formatParam(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'number') return formatChartValue(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function TrialsTable({ trials, paramNames, bestId }: TrialsTableProps) {
  return (
    <div className={table.wrap}>
      <table className={table.table} data-testid="trials-table">
        <thead>
          <tr>
            <th>Trial</th>
            {paramNames.map((name) => (
              <th key={name}>{name}</th>
            ))}
            <th>State</th>
            <th>Objective</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {trials.map((trial) => (
            <tr key={trial.id} className={trial.id === bestId ? styles.best : undefined}>
              <td>
                {trial.number}
                {trial.id === bestId && ' ★ best'}
              </td>
              {paramNames.map((name) => (
                <td key={name}>{formatParam(trial.params[name])}</td>
              ))}
              <td>{trial.state_detail}</td>
              <td>
                {typeof trial.objective === 'number' ? formatChartValue(trial.objective) : '—'}
              </td>
              <td>
                {trial.duration_seconds == null ? '—' : formatDuration(trial.duration_seconds)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
