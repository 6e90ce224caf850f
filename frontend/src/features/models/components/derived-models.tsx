/** "Models trained on this version", shown with a dataset version's report: lineage backwards. */
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import section from '../../../components/section.module.css';
import { useDatasetVersionModels } from '../api/get-dataset-version-models';
import styles from './models.module.css';
import { StageBadge } from './status-badges';

export function DerivedModels({ datasetVersionId }: { datasetVersionId: number }) {
  const models = useDatasetVersionModels(datasetVersionId);
  // Lineage is a side note to the report: while it loads or if it fails, the report stands alone.
  if (models.isPending || models.isError) return null;
  const versions = models.data.results;
  return (
    <div data-testid="derived-models">
      <h4 className={section.subheading}>Models trained on this version</h4>
      {versions.length === 0 ? (
        <p className={muted.small}>None yet.</p>
      ) : (
        <ul className={styles.inlineList}>
          {versions.map((version) => (
            <li key={version.id}>
              <Link to={`/models?model=${version.registered_model}&version=${version.id}`}>
                {version.model_name} {version.version}
              </Link>{' '}
              <StageBadge stage={version.stage} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
