/**
 * A dataset's versions: number, file (with its format and size under it), validation status,
 * records, and what to do with each. Long file names wrap, so the actions stay in view on a
 * laptop screen.
 */
import linkButton from '../../../components/link-button.module.css';
import muted from '../../../components/muted.module.css';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { type DatasetVersion, versionReport } from '../../../lib/api/get-dataset-versions';
import { formatDateTime } from '../../../lib/format';
import { formatBytes } from '../../../lib/format-bytes';
import { datasetVersionDownloadUrl } from '../api/download-dataset-version';
import styles from './datasets.module.css';
import { VersionStatusBadge } from './version-status-badge';

interface VersionsTableProps {
  versions: readonly DatasetVersion[];
  selectedId: number | null;
  onSelect: (version: DatasetVersion) => void;
  /** Absent where the caller may not delete the dataset's versions. */
  onDelete?: (version: DatasetVersion) => void;
}

export function VersionsTable({ versions, selectedId, onSelect, onDelete }: VersionsTableProps) {
  return (
    <div className={table.wrap}>
      <table className={table.table}>
        <caption className="visually-hidden">Versions</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">File</th>
            <th scope="col">Status</th>
            <th scope="col" className={table.numeric}>
              Records
            </th>
            <th scope="col">Uploaded</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((version) => {
            const report = versionReport(version);
            return (
              <tr
                key={version.id}
                data-testid="version-row"
                aria-selected={version.id === selectedId}
                className={version.id === selectedId ? table.selected : undefined}
              >
                <th scope="row">v{version.number}</th>
                <td className={styles.filename}>
                  {version.filename}
                  <span className={`${muted.text} ${styles.fileFacts}`}>
                    {version.format} · {formatBytes(version.size_bytes)}
                  </span>
                </td>
                <td>
                  <VersionStatusBadge status={version.status} />
                </td>
                <td className={table.numeric}>{report ? report.records.toLocaleString() : '–'}</td>
                <td>
                  <time dateTime={version.created_at}>{formatDateTime(version.created_at)}</time>
                </td>
                <td className={table.actions}>
                  <Button
                    size="small"
                    variant="ghost"
                    aria-label={`Show the report of version ${version.number}`}
                    onClick={() => onSelect(version)}
                  >
                    Report
                  </Button>
                  <a
                    className={linkButton.linkButton}
                    href={datasetVersionDownloadUrl(version.id)}
                    download
                    aria-label={`Download version ${version.number}`}
                  >
                    Download
                  </a>
                  {onDelete && (
                    <Button
                      size="small"
                      variant="ghost"
                      aria-label={`Delete version ${version.number}`}
                      onClick={() => onDelete(version)}
                    >
                      Delete
                    </Button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
