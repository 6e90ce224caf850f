/** The dashboard's Models card: the newest versions across models, with stage and status. */
import { Link } from 'react-router';

import itemList from '../../../components/item-list.module.css';
import loadError from '../../../components/load-error.module.css';
import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import { useVersionsAcrossModels } from '../../../lib/api/get-all-model-versions';
import { formatDateTime } from '../../../lib/format';
import styles from './models.module.css';
import { StageBadge, VersionStatusBadge } from './status-badges';

export function RecentModelVersions({ limit }: { limit: number }) {
  const recent = useVersionsAcrossModels({ models: limit, perModel: limit });
  if (recent.isPending) {
    return (
      <p role="status" className={muted.small}>
        Loading models…
      </p>
    );
  }
  if (recent.error) {
    return (
      <div role="alert" className={`${loadError.box} ${loadError.compact}`}>
        <p>Could not load your models. {recent.error.message}</p>
        <Button size="small" onClick={recent.refetch}>
          Try again
        </Button>
      </div>
    );
  }
  if (recent.versions.length === 0) {
    return (
      <p className={muted.small} data-testid="dashboard-models-empty">
        No models yet. <Link to="/models">Add the starter model</Link> or register a finished
        training run.
      </p>
    );
  }
  return (
    <ul className={itemList.items}>
      {recent.versions.slice(0, limit).map((version) => (
        <li key={version.id} className={itemList.item} data-testid="dashboard-model-version">
          <div className={itemList.header}>
            <Link
              to={`/models?model=${version.registered_model}&version=${version.id}`}
              className={`${itemList.name} ${styles.listName}`}
            >
              {version.model_name} {version.version}
            </Link>
            <span className={styles.badges}>
              <StageBadge stage={version.stage} />
              {version.status !== 'ready' && <VersionStatusBadge status={version.status} />}
            </span>
          </div>
          <span className={muted.small}>
            {version.source} ·{' '}
            <time dateTime={version.created_at}>{formatDateTime(version.created_at)}</time>
          </span>
        </li>
      ))}
    </ul>
  );
}
