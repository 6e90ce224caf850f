/**
 * The dataset versions a recipe reads, in order (a mix step weighs them in this order): pick
 * a dataset and one of its valid versions, add it, remove any.
 */
import { useState } from 'react';

import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import { useDatasetVersions } from '../../../lib/api/get-dataset-versions';
import { useDatasets } from '../../../lib/api/get-datasets';
import styles from './recipes.module.css';

export interface PickedInput {
  id: number;
  label: string;
}

interface InputsPickerProps {
  label: string;
  value: readonly PickedInput[];
  onChange: (inputs: PickedInput[]) => void;
}

export function InputsPicker({ label, value, onChange }: InputsPickerProps) {
  const datasets = useDatasets();
  const list = datasets.data?.results ?? [];
  const [datasetId, setDatasetId] = useState<number | null>(null);
  const chosen = datasetId ?? list[0]?.id ?? null;
  const versions = useDatasetVersions(chosen);
  const valid = (versions.data?.results ?? []).filter((version) => version.status === 'valid');
  const [versionId, setVersionId] = useState<number | null>(null);
  const version = valid.find((item) => item.id === versionId) ?? valid[0] ?? null;
  const datasetName = list.find((dataset) => dataset.id === chosen)?.name ?? '';

  function add() {
    if (version === null || value.some((input) => input.id === version.id)) return;
    onChange([...value, { id: version.id, label: `${datasetName} v${version.number}` }]);
  }

  return (
    <fieldset className={styles.inputs} data-testid="inputs-picker">
      <legend>{label}</legend>
      {value.length === 0 ? (
        <p className={muted.small}>No input chosen yet.</p>
      ) : (
        <ol className={styles.inputs}>
          {value.map((input, index) => (
            <li key={input.id}>
              {input.label}{' '}
              <Button
                size="small"
                variant="ghost"
                aria-label={`Remove input ${input.label}`}
                onClick={() => onChange(value.filter((_, at) => at !== index))}
              >
                Remove
              </Button>
            </li>
          ))}
        </ol>
      )}
      <div className={styles.addRow}>
        <label className={styles.inputs}>
          Dataset
          <select
            aria-label="Dataset"
            value={chosen === null ? '' : String(chosen)}
            onChange={(event) => {
              setDatasetId(Number(event.target.value));
              setVersionId(null);
            }}
          >
            {list.map((dataset) => (
              <option key={dataset.id} value={dataset.id}>
                {dataset.name}
              </option>
            ))}
          </select>
        </label>
        <label className={styles.inputs}>
          Version
          <select
            aria-label="Version"
            value={version === null ? '' : String(version.id)}
            onChange={(event) => setVersionId(Number(event.target.value))}
          >
            {valid.map((item) => (
              <option key={item.id} value={item.id}>
                v{item.number} · {item.filename}
              </option>
            ))}
          </select>
        </label>
        <Button size="small" disabled={version === null} onClick={add}>
          Add input
        </Button>
      </div>
    </fieldset>
  );
}
