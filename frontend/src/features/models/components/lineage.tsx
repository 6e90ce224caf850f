/**
 * Where a version came from: the run that trained it (linking to the run's page) and the
 * dataset version it was trained on (linking to that version's report on the Datasets page).
 */
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import terms from '../../../components/term-list.module.css';
import { useLineage } from '../api/get-lineage';
import styles from './models.module.css';

export function Lineage({ versionId }: { versionId: number }) {
  const lineage = useLineage(versionId);
  if (lineage.isPending) {
    return (
      <p role="status" className={muted.small}>
        Loading lineage…
      </p>
    );
  }
  if (lineage.isError) {
    return <p className={styles.errorText}>Could not load the lineage. {lineage.error.message}</p>;
  }
  const { run, dataset, dataset_version: datasetVersion } = lineage.data;
  if (run === null && datasetVersion === null) {
    return (
      <p className={muted.small} data-testid="lineage">
        Uploaded or imported: no training run or dataset behind this version.
      </p>
    );
  }
  return (
    <dl className={terms.list} data-testid="lineage">
      {run !== null && (
        <div>
          <dt>Training run</dt>
          <dd>
            <Link to={`/experiments/runs/${run}`}>Run {run}</Link>
          </dd>
        </div>
      )}
      {dataset !== null && datasetVersion !== null && (
        <div>
          <dt>Dataset version</dt>
          <dd>
            <Link to={`/datasets?dataset=${dataset}&version=${datasetVersion}`}>
              Dataset {dataset}, version {datasetVersion}
            </Link>
          </dd>
        </div>
      )}
    </dl>
  );
}
