/**
 * A model version's drift settings: the reference (its first week of traffic, or a valid
 * dataset version the user can read), the window length, the minimum number of requests on
 * each side and alpha. Saving needs edit access to the version; the server's refusal shows
 * under the field it names.
 */
import { useState } from 'react';

import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { SelectField, type SelectOption } from '../../../components/ui/select-field';
import { useDatasetVersions } from '../../../lib/api/get-dataset-versions';
import { useDatasets } from '../../../lib/api/get-datasets';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import type { DriftSettings } from '../api/get-drift-settings';
import { useUpdateDriftSettings } from '../api/update-drift-settings';
import styles from './drift.module.css';

const FIRST_WEEK = '';
const SHOWN_FIELDS = new Set([
  'reference_dataset_version_id',
  'window_hours',
  'min_requests',
  'alpha',
]);

export function DriftSettingsForm({
  versionId,
  settings,
}: {
  versionId: number;
  settings: DriftSettings;
}) {
  const update = useUpdateDriftSettings(versionId);
  const datasets = useDatasets();
  const [datasetId, setDatasetId] = useState<string>(
    settings.reference_dataset_id === null ? FIRST_WEEK : String(settings.reference_dataset_id),
  );
  const versions = useDatasetVersions(datasetId === FIRST_WEEK ? null : Number(datasetId));
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });
  const [saved, setSaved] = useState(false);

  const datasetOptions: SelectOption[] = [
    { value: FIRST_WEEK, label: 'First week of traffic' },
    ...(datasets.data?.results ?? []).map((dataset) => ({
      value: String(dataset.id),
      label: `Dataset: ${dataset.name}`,
    })),
  ];
  const versionOptions: SelectOption[] = (versions.data?.results ?? [])
    .filter((version) => version.status === 'valid')
    .map((version) => ({
      value: String(version.id),
      label: `v${version.number}: ${version.filename}`,
    }));

  function submit(values: Record<string, unknown>) {
    setSaved(false);
    setErrors({ fields: {}, form: null });
    const reference =
      datasetId === FIRST_WEEK ? null : Number(values.reference_dataset_version_id) || null;
    update.mutate(
      {
        reference_dataset_version_id: reference,
        window_hours: Number(values.window_hours),
        min_requests: Number(values.min_requests),
        alpha: Number(values.alpha),
      },
      {
        onSuccess: () => setSaved(true),
        onError: (error) => setErrors(submitErrors(error, SHOWN_FIELDS)),
      },
    );
  }

  return (
    <Form errors={errors.fields} onFormSubmit={submit} aria-label="Drift settings">
      <div className={styles.settingsGrid}>
        <SelectField
          name="reference"
          label="Reference"
          options={datasetOptions}
          value={datasetId}
          onValueChange={setDatasetId}
          description="Feedback is always compared with the first week."
        />
        {datasetId !== FIRST_WEEK && (
          <SelectField
            key={`${datasetId}-${versions.dataUpdatedAt}`}
            name="reference_dataset_version_id"
            label="Dataset version"
            options={versionOptions}
            defaultValue={
              settings.reference_dataset_version_id === null
                ? versionOptions[0]?.value
                : String(settings.reference_dataset_version_id)
            }
            required
            description={
              versions.isSuccess && versionOptions.length === 0
                ? 'This dataset has no valid version.'
                : 'Its prompts are embedded once, on the next check.'
            }
          />
        )}
        <TextField
          name="window_hours"
          label="Window (hours)"
          type="number"
          min={1}
          max={168}
          defaultValue={settings.window_hours}
          required
        />
        <TextField
          name="min_requests"
          label="Minimum requests per side"
          type="number"
          min={10}
          defaultValue={settings.min_requests}
          required
        />
        <TextField
          name="alpha"
          label="Alpha"
          type="number"
          step="any"
          min={0.0001}
          max={0.2}
          defaultValue={settings.alpha}
          required
          description="A p-value under it is drift."
        />
      </div>
      {errors.form && <FormError>{errors.form}</FormError>}
      <div>
        <Button type="submit" variant="primary" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save drift settings'}
        </Button>{' '}
        {saved && (
          <span role="status" className={muted.small}>
            Saved; the next check uses them.
          </span>
        )}
      </div>
    </Form>
  );
}
