/**
 * Where a version came from: the run that trained it and its experiment (linking to the run's
 * page), the dataset version it was trained on (linking to that version's report on the
 * Datasets page), for a fine-tune its method, base version and LoRA adapter download, and for
 * a version made by applying a personality, its base version and the personality version
 * applied, by the names and version numbers the user knows them by.
 */
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import terms from '../../../components/term-list.module.css';
import { adapterDownloadUrl } from '../api/create-exports';
import { useLineage } from '../api/get-lineage';
import styles from './models.module.css';

const METHOD_NAMES: Record<string, string> = {
  full: 'full fine-tune',
  lora: 'LoRA',
  qlora: 'LoRA over a quantized base',
  dpo: 'DPO',
};

export function Lineage({
  versionId,
  modelId,
  hasAdapter = false,
}: {
  versionId: number;
  modelId: number;
  hasAdapter?: boolean;
}) {
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
  const {
    run,
    run_name: runName,
    experiment_name: experimentName,
    dataset,
    dataset_name: datasetName,
    dataset_version: datasetVersion,
    dataset_version_number: datasetVersionNumber,
    base_version: baseVersion,
    base_version_label: baseVersionLabel,
    personality,
    personality_name: personalityName,
    personality_version_number: personalityVersionNumber,
    method,
  } = lineage.data;
  if (run === null && datasetVersion === null && baseVersion === null) {
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
            <Link to={`/experiments/runs/${run}`}>{runName ?? `Run ${run}`}</Link>
            {experimentName && <span className={muted.small}> in {experimentName}</span>}
          </dd>
        </div>
      )}
      {method && method !== 'scratch' && (
        <div>
          <dt>Method</dt>
          <dd data-testid="lineage-method">{METHOD_NAMES[method] ?? method}</dd>
        </div>
      )}
      {dataset !== null && datasetVersion !== null && (
        <div>
          <dt>Dataset version</dt>
          <dd>
            <Link to={`/datasets?dataset=${dataset}&version=${datasetVersion}`}>
              {datasetName ?? 'Dataset'} v{datasetVersionNumber ?? '?'}
            </Link>
          </dd>
        </div>
      )}
      {baseVersion !== null && (
        <div>
          <dt>Base version</dt>
          <dd>
            <Link to={`/models?model=${modelId}&version=${baseVersion}`}>
              {baseVersionLabel ?? `Version ${baseVersion}`}
            </Link>
          </dd>
        </div>
      )}
      {hasAdapter && (
        <div>
          <dt>LoRA adapter</dt>
          <dd>
            <a href={adapterDownloadUrl(versionId)} download>
              Download adapter (.safetensors)
            </a>
          </dd>
        </div>
      )}
      {personality !== null && (
        <div>
          <dt>Personality</dt>
          <dd>
            <Link to={`/personalities/${personality}`}>
              {personalityName ?? 'Personality'} v{personalityVersionNumber ?? '?'}
            </Link>
          </dd>
        </div>
      )}
    </dl>
  );
}
