/** Parameter importances (computed on the server by Optuna), as labelled bars. */
import { QueryState } from '../../../components/query-state';
import { useSweepImportances } from '../api/get-sweep-importances';
import styles from './sweeps.module.css';

export function ParamImportances({ sweepId }: { sweepId: number }) {
  const importances = useSweepImportances(sweepId);
  const rows = importances.data ?? [];
  return (
    <QueryState
      query={importances}
      loading="Loading importances…"
      failure="Could not load the importances."
      isEmpty={rows.length === 0}
      empty={<p className={styles.chartEmpty}>Importances appear once two trials complete.</p>}
    >
      <ul className={styles.importances} data-testid="param-importances">
        {rows.map((row) => (
          <li key={row.param}>
            <span className={styles.importanceName}>{row.param}</span>
            <span
              className={styles.importanceBar}
              style={{ width: `${Math.round(row.importance * 100)}%` }}
            />
            <span>{(row.importance * 100).toFixed(0)}%</span>
          </li>
        ))}
      </ul>
    </QueryState>
  );
}
