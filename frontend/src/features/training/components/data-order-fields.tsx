/**
 * The run form's choices about its data beyond the training version: another dataset version
 * to validate on (a recipe's validation part, say), and a feature computed for the training
 * version that orders its records (a curriculum) or weights how often each is drawn. Only
 * number features computed for that version are offered; a run names the feature, the server
 * finds its values.
 */
import { useState } from 'react';

import { SelectField, type SelectOption } from '../../../components/ui/select-field';
import { useDatasetVersions } from '../../../lib/api/get-dataset-versions';
import { useDatasets } from '../../../lib/api/get-datasets';
import { useNumberFeatures } from '../../../lib/api/get-number-features';

const ORDERS: readonly SelectOption[] = [
  { value: 'asc', label: 'Lowest first (e.g. shortest)' },
  { value: 'desc', label: 'Highest first (e.g. easiest to read)' },
];

/** A dataset, then one of its valid versions, to validate on; none holds out the data's end. */
export function ValidationVersionFields() {
  const datasets = useDatasets();
  const [datasetId, setDatasetId] = useState<number | null>(null);
  const versions = useDatasetVersions(datasetId);
  const datasetOptions: SelectOption[] = [
    { value: '', label: 'None: hold out the end of the training data' },
    ...(datasets.data?.results ?? []).map((dataset) => ({
      value: String(dataset.id),
      label: dataset.name,
    })),
  ];
  const versionOptions: SelectOption[] = (versions.data?.results ?? [])
    .filter((version) => version.status === 'valid')
    .map((version) => ({
      value: String(version.id),
      label: `v${version.number}: ${version.filename}`,
    }));
  return (
    <>
      <SelectField
        name="val_dataset"
        label="Validate on"
        options={datasetOptions}
        value={datasetId === null ? '' : String(datasetId)}
        onValueChange={(value) => setDatasetId(value ? Number(value) : null)}
        disabled={datasets.isPending}
      />
      {datasetId !== null && (
        <SelectField
          key={`${datasetId}-${versions.dataUpdatedAt}`}
          name="val_dataset_version_id"
          label="Validation version"
          options={versionOptions}
          defaultValue={versionOptions[0]?.value}
          required
          description={
            versions.isSuccess && versionOptions.length === 0
              ? 'This dataset has no valid version yet.'
              : undefined
          }
        />
      )}
    </>
  );
}

/**
 * Order and weight choices over the training version's computed number features; mount it
 * anew per version (`key`) so a choice never outlives the version it was made for.
 */
export function FeatureOrderFields({ versionId }: { versionId: number | null }) {
  const { features, isPending } = useNumberFeatures(versionId);
  const [feature, setFeature] = useState('');
  const none = !isPending && features.length === 0;
  const hint = none
    ? 'Compute the version’s features (its Features tab) to order or weight records by them.'
    : undefined;
  const orderOptions: SelectOption[] = [
    { value: '', label: 'None: shuffled' },
    ...features.map((f) => ({ value: f.name, label: f.name })),
  ];
  // Weights are drawing odds: features that go below zero cannot be one.
  const weightOptions: SelectOption[] = [
    { value: '', label: 'None: every record alike' },
    ...features
      .filter((f) => f.min === null || f.min >= 0)
      .map((f) => ({ value: f.name, label: f.name })),
  ];
  return (
    <>
      <SelectField
        key={`order-${features.length}`}
        name="curriculum.feature"
        label="Order records by"
        options={orderOptions}
        value={feature}
        onValueChange={setFeature}
        disabled={isPending || none}
        description={hint ?? 'A curriculum: training walks the records in this feature’s order.'}
      />
      {feature && (
        <SelectField name="curriculum.order" label="Order" options={ORDERS} defaultValue="asc" />
      )}
      <SelectField
        key={`weight-${features.length}`}
        name="weight_by.feature"
        label="Draw records in proportion to"
        options={weightOptions}
        defaultValue=""
        disabled={isPending || none}
      />
    </>
  );
}
