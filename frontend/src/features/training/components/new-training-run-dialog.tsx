/**
 * The "New training run" dialog: a valid dataset version (with, optionally, another to
 * validate on and a computed feature to order or weight its records by), a model preset and
 * the few options most runs change, with everything else behind "Advanced". The server's message for a field
 * (`config.model.preset`, `dataset_version_id`, ...) shows under that field; on success the
 * live run page opens.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';

import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { SelectField, type SelectOption } from '../../../components/ui/select-field';
import { useReadyModelVersions } from '../../../lib/api/get-all-model-versions';
import { useDatasetVersions } from '../../../lib/api/get-dataset-versions';
import { useDatasets } from '../../../lib/api/get-datasets';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import { useCreateTrainingRun } from '../api/create-training-run';
import {
  ADVANCED_FIELDS,
  ADVANCED_NAMES,
  buildTrainingRequest,
  DISTRIBUTED,
  KEY_FIELDS,
  LARGE_PRESETS,
  MODEL_VERSION_TOKENIZER,
  PRECISIONS,
  PROCESS_FIELDS,
  SCHEDULES,
  SELECT_DEFAULTS,
  SMALL_PRESETS,
  TOKENIZERS,
} from '../utils/training-form';
import { FeatureOrderFields, ValidationVersionFields } from './data-order-fields';
import { NumberInput } from './number-input';
import styles from './training.module.css';

interface NewTrainingRunDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  initialDatasetId?: number;
  initialVersionId?: number;
  /** Files the run under this experiment instead of asking for an experiment name. */
  experiment?: { id: number; name: string };
}

export function NewTrainingRunDialog({
  open,
  onOpenChange,
  ...formProps
}: NewTrainingRunDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="New training run"
      description="Train a small model from scratch on a validated dataset version. You can watch it learn live."
      dismissOnOutsidePress={false}
      data-testid="new-training-run-dialog"
    >
      <NewTrainingRunForm {...formProps} />
    </Dialog>
  );
}

// Server errors under these names have a field to show them; anything else is shown above
// the buttons.
const SHOWN_FIELDS: ReadonlySet<string> = new Set([
  'dataset_version_id',
  'val_dataset_version_id',
  'curriculum.feature',
  'weight_by.feature',
  'tokenizer_model_version_id',
  'name',
  'experiment_name',
  ...Object.keys(SELECT_DEFAULTS),
  ...KEY_FIELDS.map((field) => field.name),
  ...ADVANCED_FIELDS.map((field) => field.name),
  ...PROCESS_FIELDS.map((field) => field.name),
]);

/** Which of the user's ready model versions lends its tokenizer; mounted only when chosen. */
function TokenizerVersionField() {
  const ready = useReadyModelVersions();
  const options: SelectOption[] = ready.versions.map((version) => ({
    value: String(version.id),
    label: `${version.model_name} ${version.version}`,
  }));
  const none = !ready.isPending && options.length === 0;
  return (
    <SelectField
      key={options.length}
      name="tokenizer_model_version_id"
      label="Tokenizer of"
      options={options}
      defaultValue={options[0]?.value}
      required
      disabled={ready.isPending}
      description={none ? 'None of your models is ready yet.' : undefined}
    />
  );
}

function NewTrainingRunForm({
  initialDatasetId,
  initialVersionId,
  experiment,
}: Omit<NewTrainingRunDialogProps, 'open' | 'onOpenChange'>) {
  const navigate = useNavigate();
  const createRun = useCreateTrainingRun();
  const datasets = useDatasets();
  const [datasetId, setDatasetId] = useState<number | null>(initialDatasetId ?? null);
  const [versionId, setVersionId] = useState<number | null>(null);
  const chosenDataset = datasetId ?? datasets.data?.results[0]?.id ?? null;
  const versions = useDatasetVersions(chosenDataset);
  const [showLarge, setShowLarge] = useState(false);
  const [tokenizer, setTokenizer] = useState<string>(SELECT_DEFAULTS['config.data.tokenizer']);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });

  const datasetOptions: SelectOption[] = (datasets.data?.results ?? []).map((dataset) => ({
    value: String(dataset.id),
    label: dataset.name,
  }));
  const validVersions = (versions.data?.results ?? []).filter(
    (version) => version.status === 'valid',
  );
  const versionOptions: SelectOption[] = validVersions.map((version) => ({
    value: String(version.id),
    label: `v${version.number}: ${version.filename}`,
  }));
  const defaultVersion =
    validVersions.find((version) => version.id === initialVersionId)?.id ?? validVersions[0]?.id;
  const chosenVersion =
    validVersions.find((version) => version.id === versionId)?.id ?? defaultVersion ?? null;

  function submit(values: Record<string, unknown>) {
    setErrors((current) => ({ ...current, form: null }));
    createRun.mutate(buildTrainingRequest(values, experiment?.id), {
      onSuccess: (created) => void navigate(`/experiments/runs/${created.run}`),
      onError: (error) => {
        const next = submitErrors(error, SHOWN_FIELDS);
        setErrors(next);
        if (Object.keys(next.fields).some((name) => ADVANCED_NAMES.has(name)))
          setAdvancedOpen(true);
      },
    });
  }

  const noVersion = versions.isSuccess && validVersions.length === 0;
  return (
    <Form errors={errors.fields} onFormSubmit={submit} aria-label="New training run">
      <div className={styles.formGrid}>
        <SelectField
          name="dataset"
          label="Dataset"
          options={datasetOptions}
          value={chosenDataset === null ? '' : String(chosenDataset)}
          onValueChange={(value) => {
            setDatasetId(Number(value));
            setVersionId(null);
          }}
          disabled={datasets.isPending}
        />
        {/* Re-mounted per dataset so its default follows the dataset's own versions. */}
        <SelectField
          key={`${chosenDataset}-${versions.dataUpdatedAt}`}
          name="dataset_version_id"
          label="Version"
          options={versionOptions}
          defaultValue={defaultVersion === undefined ? undefined : String(defaultVersion)}
          onValueChange={(value) => setVersionId(Number(value))}
          required
          description={noVersion ? 'This dataset has no valid version yet.' : undefined}
        />
        <ValidationVersionFields />
        <FeatureOrderFields key={chosenVersion ?? 'none'} versionId={chosenVersion} />
        <SelectField
          name="config.model.preset"
          label="Model"
          options={showLarge ? [...SMALL_PRESETS, ...LARGE_PRESETS] : SMALL_PRESETS}
          defaultValue={SELECT_DEFAULTS['config.model.preset']}
        />
        <SelectField
          name="config.data.tokenizer"
          label="Tokenizer"
          options={TOKENIZERS}
          value={tokenizer}
          onValueChange={setTokenizer}
        />
        {tokenizer === MODEL_VERSION_TOKENIZER && <TokenizerVersionField />}
        {KEY_FIELDS.map((field) => (
          <NumberInput key={field.name} field={field} />
        ))}
        <TextField name="name" label="Run name" placeholder="automatic" autoComplete="off" />
        {experiment ? (
          <p className={muted.small}>
            Filed under the experiment <strong>{experiment.name}</strong>.
          </p>
        ) : (
          <TextField
            name="experiment_name"
            label="Experiment"
            placeholder="the dataset's name"
            autoComplete="off"
          />
        )}
      </div>
      <details
        className={styles.advanced}
        open={advancedOpen}
        onToggle={(event) => setAdvancedOpen(event.currentTarget.open)}
      >
        <summary>Advanced</summary>
        <label className={styles.checkbox}>
          <input
            type="checkbox"
            checked={showLarge}
            onChange={(event) => setShowLarge(event.target.checked)}
          />
          Offer large models (GPU workers only)
        </label>
        <div className={styles.formGrid}>
          <SelectField
            name="config.optim.schedule"
            label="Learning-rate schedule"
            options={SCHEDULES}
            defaultValue={SELECT_DEFAULTS['config.optim.schedule']}
          />
          <SelectField
            name="config.train.precision"
            label="Precision"
            options={PRECISIONS}
            defaultValue={SELECT_DEFAULTS['config.train.precision']}
          />
          {ADVANCED_FIELDS.map((field) => (
            // A blank model field keeps the preset's value.
            <NumberInput
              key={field.name}
              field={field}
              placeholder={field.defaultValue === '' ? 'preset' : undefined}
            />
          ))}
          {PROCESS_FIELDS.map((field) => (
            <NumberInput key={field.name} field={field} />
          ))}
          <SelectField
            name="config.train.distributed"
            label="Processes share the work by"
            options={DISTRIBUTED}
            defaultValue={SELECT_DEFAULTS['config.train.distributed']}
          />
        </div>
      </details>
      {errors.form && <FormError>{errors.form}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={createRun.isPending || noVersion}>
          {createRun.isPending ? 'Starting…' : 'Start training'}
        </Button>
      </DialogActions>
    </Form>
  );
}
