/**
 * Every version of a personality, newest first: what it was made from, its status and when.
 * Editing or retraining adds one; older ones stay usable by whatever refers to them.
 */
import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Badge } from '../../../components/ui/badge';
import { formatDateTime } from '../../../lib/format';
import { usePersonalityVersions } from '../api/get-personality-versions';
import { provenanceText } from '../utils/metrics';
import { TrainingBadge } from './badges';
import styles from './personalities.module.css';

interface VersionsTableProps {
  personalityId: number;
  currentVersionId: number | null;
}

export function VersionsTable({ personalityId, currentVersionId }: VersionsTableProps) {
  const versions = usePersonalityVersions(personalityId);
  return (
    <QueryState
      query={versions}
      loading="Loading versions…"
      failure="Could not load the versions."
      statusClassName={muted.small}
    >
      <div className={table.wrap}>
        <table className={`${table.table} ${table.top}`} data-testid="personality-versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Made from</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {(versions.data?.results ?? []).map((version) => (
              <tr key={version.id} data-testid="personality-version-row">
                <th scope="row">
                  <span className={styles.badges}>
                    v{version.number}
                    {version.id === currentVersionId && <Badge tone="success">current</Badge>}
                  </span>
                </th>
                <td className={styles.excerpt}>{provenanceText(version.provenance)}</td>
                <td>
                  {version.status === 'ready' ? 'ready' : <TrainingBadge version={version} />}
                </td>
                <td>
                  <time dateTime={version.created_at}>{formatDateTime(version.created_at)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </QueryState>
  );
}
