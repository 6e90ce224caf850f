/**
 * The table the "Applied to models" and "Evaluations" sections share: its header, and the
 * cells every row of either has (the model version against which personality version, the
 * job's status with its error, the chart link). Each section adds its own columns.
 */
import type { ReactNode } from 'react';

import linkButton from '../../../components/link-button.module.css';
import muted from '../../../components/muted.module.css';
import table from '../../../components/table.module.css';
import { JobStatusBadge } from './job-status-badge';
import styles from './personalities.module.css';

export interface JobColumn {
  label: string;
  numeric?: boolean;
}

export function JobTable({
  columns,
  children,
  'data-testid': testId,
}: {
  columns: readonly JobColumn[];
  children: ReactNode;
  'data-testid': string;
}) {
  return (
    <div className={table.wrap}>
      <table className={`${table.table} ${table.top}`} data-testid={testId}>
        <thead>
          <tr>
            {columns.map(({ label, numeric }) => (
              <th key={label} scope="col" className={numeric ? table.numeric : undefined}>
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** "starter:v1 with v2": the model version, and the personality version beside it. */
export function VersionCell({ label, note }: { label: string; note: string }) {
  return (
    <td>
      {label}
      <span className={`${muted.small} ${styles.nameCell}`}>{note}</span>
    </td>
  );
}

export function JobStatusCell({
  status,
  progress,
  error,
}: {
  status?: string;
  progress?: number;
  error?: string;
}) {
  return (
    <td>
      <JobStatusBadge status={status} progress={progress} />
      {error && <p className={styles.error}>{error}</p>}
    </td>
  );
}

/** The chart's download link once there is one, else a dash. */
export function ChartCell({ href }: { href: string | null }) {
  return (
    <td>
      {href ? (
        <a className={linkButton.linkButton} href={href}>
          Chart (PNG)
        </a>
      ) : (
        '–'
      )}
    </td>
  );
}
