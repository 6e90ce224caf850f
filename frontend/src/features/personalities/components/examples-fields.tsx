/**
 * Where a learned or neural personality's example texts come from: pasted, one per line, or
 * the records of one of the user's valid dataset versions; and the optional background texts
 * it is told apart from. Field names match the API's, so its messages land under them.
 */
import { useState } from 'react';

import { SelectField, type SelectOption } from '../../../components/ui/select-field';
import { TextAreaField } from '../../../components/ui/text-area-field';
import { useOwnDatasets } from '../api/get-own-datasets';
import { useValidDatasetVersions } from '../api/get-valid-dataset-versions';
import styles from './personalities.module.css';

export type ExampleSource = 'pasted' | 'dataset';

interface ExamplesFieldsProps {
  source: ExampleSource;
  onSourceChange: (source: ExampleSource) => void;
  /** What the examples are called in the labels, e.g. "Examples of its voice". */
  examplesLabel: string;
  examplesHint: string;
  backgroundHint: string;
  /** Editing: empty fields keep the current version's texts, which the labels say. */
  optional?: boolean;
}

export function ExamplesFields({
  source,
  onSourceChange,
  examplesLabel,
  examplesHint,
  backgroundHint,
  optional = false,
}: ExamplesFieldsProps) {
  return (
    <>
      <fieldset className={styles.sourceChoice} aria-label="Examples from">
        <label className={styles.choice}>
          <input
            type="radio"
            name="example-source"
            checked={source === 'pasted'}
            onChange={() => onSourceChange('pasted')}
          />
          Paste examples
        </label>
        <label className={styles.choice}>
          <input
            type="radio"
            name="example-source"
            checked={source === 'dataset'}
            onChange={() => onSourceChange('dataset')}
          />
          Use a dataset version
        </label>
      </fieldset>
      {source === 'pasted' ? (
        <TextAreaField
          name="examples"
          label={examplesLabel}
          description={examplesHint}
          placeholder="One text per line"
          rows={8}
          required={!optional}
        />
      ) : (
        <DatasetVersionFields />
      )}
      <TextAreaField
        name="background"
        label="Background texts (optional)"
        description={backgroundHint}
        placeholder="One text per line"
        rows={4}
      />
    </>
  );
}

/** A dataset, then one of its valid versions; the version's id is what is submitted. */
function DatasetVersionFields() {
  const datasets = useOwnDatasets();
  const [datasetId, setDatasetId] = useState<number | null>(null);
  const chosen = datasetId ?? datasets.data?.results[0]?.id ?? null;
  const versions = useValidDatasetVersions(chosen);
  const datasetOptions: SelectOption[] = (datasets.data?.results ?? []).map((dataset) => ({
    value: String(dataset.id),
    label: dataset.name,
  }));
  const versionOptions: SelectOption[] = (versions.data ?? []).map((version) => ({
    value: String(version.id),
    label: `v${version.number}: ${version.filename}`,
  }));
  const noDatasets = datasets.isSuccess && datasetOptions.length === 0;
  const noVersions = versions.isSuccess && versionOptions.length === 0;
  return (
    <>
      <SelectField
        name="dataset"
        label="Dataset"
        options={datasetOptions}
        value={chosen === null ? '' : String(chosen)}
        onValueChange={(value) => setDatasetId(Number(value))}
        disabled={datasets.isPending || noDatasets}
        description={noDatasets ? 'You have no datasets yet; upload one on Datasets.' : undefined}
      />
      {/* Re-mounted per dataset so its default follows the dataset's own versions. */}
      <SelectField
        key={`${chosen}-${versions.dataUpdatedAt}`}
        name="dataset_version_id"
        label="Version"
        options={versionOptions}
        defaultValue={versionOptions[0]?.value}
        required
        description={
          noVersions
            ? 'This dataset has no valid version yet.'
            : 'Each record of the version is one example.'
        }
      />
    </>
  );
}
