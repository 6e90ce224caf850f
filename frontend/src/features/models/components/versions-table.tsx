/** A model's versions: version, stage, import status, source, size, parameters and age. */
import { formatDateTime } from '../../../lib/format';
import { formatBytes } from '../../datasets/utils/format-bytes';
import type { ModelVersion } from '../api/get-model-versions';
import { formatCount } from '../utils/format-count';
import styles from './models.module.css';
import { StageBadge, VersionStatusBadge } from './status-badges';

interface VersionsTableProps {
  versions: readonly ModelVersion[];
  selectedId: number | null;
  onSelect: (version: ModelVersion) => void;
}

export function VersionsTable({ versions, selectedId, onSelect }: VersionsTableProps) {
  return (
    <div className={styles.tableWrap}>
      <table className={styles.table} data-testid="model-versions">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Stage</th>
            <th scope="col">Status</th>
            <th scope="col">Source</th>
            <th scope="col" className={styles.numeric}>
              Size
            </th>
            <th scope="col" className={styles.numeric}>
              Parameters
            </th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((version) => (
            <tr
              key={version.id}
              className={version.id === selectedId ? styles.selectedRow : undefined}
              data-testid="model-version-row"
            >
              <td>
                <button
                  type="button"
                  className={styles.rowButton}
                  aria-current={version.id === selectedId ? 'true' : undefined}
                  onClick={() => onSelect(version)}
                >
                  {version.version}
                </button>
              </td>
              <td>
                <StageBadge stage={version.stage} />
              </td>
              <td>
                <VersionStatusBadge status={version.status} />
              </td>
              <td>{version.source}</td>
              <td className={styles.numeric}>
                {version.size_bytes === null ? '–' : formatBytes(version.size_bytes)}
              </td>
              <td className={styles.numeric}>{formatCount(version.parameters)}</td>
              <td>
                <time dateTime={version.created_at}>{formatDateTime(version.created_at)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
