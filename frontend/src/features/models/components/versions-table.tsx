/** A model's versions: version, stage, import status, source, size, parameters and age. */
import table from '../../../components/table.module.css';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { formatDateTime } from '../../../lib/format';
import { formatBytes } from '../../../lib/format-bytes';
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
    <div className={table.wrap}>
      <table
        className={`${table.table} ${table.top} ${styles.rowHeads}`}
        data-testid="model-versions"
      >
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Stage</th>
            <th scope="col">Status</th>
            <th scope="col">Source</th>
            <th scope="col" className={table.numeric}>
              Size
            </th>
            <th scope="col" className={table.numeric}>
              Parameters
            </th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((version) => (
            <tr
              key={version.id}
              className={version.id === selectedId ? table.selected : undefined}
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
              <td className={table.numeric}>
                {version.size_bytes === null ? '–' : formatBytes(version.size_bytes)}
              </td>
              <td className={table.numeric}>{formatCount(version.parameters)}</td>
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
