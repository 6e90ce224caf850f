/**
 * The "Fine-tune" dialog: one of the user's ready model versions as the base, a method (LoRA,
 * LoRA over a quantized base, full, DPO) with its options (the base architecture's default
 * LoRA targets shown), and a valid dataset version whose record kinds are shown, since each
 * method takes its own. The server's message for a field shows under that field; on success
 * the run's live page opens.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { SelectField, type SelectOption } from '../../../components/ui/select-field';
import { useReadyModelVersions } from '../../../lib/api/get-all-model-versions';
import {
  type DatasetVersion,
  formatRecordKinds,
  useDatasetVersions,
  versionReport,
} from '../../../lib/api/get-dataset-versions';
import { useDatasets } from '../../../lib/api/get-datasets';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import { useCreateTrainingRun } from '../api/create-training-run';
import {
  BASE_TYPES,
  buildFineTuneRequest,
  DPO_FIELDS,
  FINE_TUNE_FIELDS,
  type FineTuneMethod,
  LORA_FIELDS,
  METHODS,
  RUN_FIELDS,
  usesAdapters,
} from '../utils/fine-tune-form';
import { NumberInput } from './number-input';
import styles from './training.module.css';

interface FineTuneDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The model version to start from, e.g. the one whose page opened the dialog. */
  baseVersionId?: number;
}

export function FineTuneDialog({ open, onOpenChange, baseVersionId }: FineTuneDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Fine-tune"
      description="Teach one of your models new behaviour from a dataset version, with its own tokenizer and chat template. You can watch it learn live."
      dismissOnOutsidePress={false}
      data-testid="fine-tune-dialog"
    >
      <FineTuneForm baseVersionId={baseVersionId} />
    </Dialog>
  );
}

function versionLabel(version: DatasetVersion): string {
  const kinds = formatRecordKinds(versionReport(version)?.kinds ?? {});
  return `v${version.number}: ${version.filename}${kinds ? ` (${kinds})` : ''}`;
}

function FineTuneForm({ baseVersionId }: { baseVersionId?: number }) {
  const navigate = useNavigate();
  const createRun = useCreateTrainingRun();
  const ready = useReadyModelVersions();
  const datasets = useDatasets();
  const [baseId, setBaseId] = useState<number | null>(baseVersionId ?? null);
  const [method, setMethod] = useState<FineTuneMethod>('lora');
  const [dpoAdapters, setDpoAdapters] = useState(true);
  const [datasetId, setDatasetId] = useState<number | null>(null);
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });

  const chosenBase =
    ready.versions.find((version) => version.id === baseId) ?? ready.versions[0] ?? null;
  const baseOptions: SelectOption[] = ready.versions.map((version) => ({
    value: String(version.id),
    label: `${version.model_name} ${version.version}`,
  }));
  const chosenDataset = datasetId ?? datasets.data?.results[0]?.id ?? null;
  const versions = useDatasetVersions(chosenDataset);
  const validVersions = (versions.data?.results ?? []).filter((v) => v.status === 'valid');
  const adapters = usesAdapters(method, dpoAdapters);
  const defaultTargets = chosenBase?.lora_default_targets ?? [];
  const architecture = String(
    (chosenBase?.architecture as { arch?: string } | undefined)?.arch ?? 'this',
  );

  function submit(values: Record<string, unknown>) {
    setErrors((current) => ({ ...current, form: null }));
    createRun.mutate(buildFineTuneRequest(values, dpoAdapters), {
      onSuccess: (created) => void navigate(`/experiments/runs/${created.run}`),
      onError: (error) => setErrors(submitErrors(error, FINE_TUNE_FIELDS)),
    });
  }

  const noBase = !ready.isPending && baseOptions.length === 0;
  const noVersion = versions.isSuccess && validVersions.length === 0;
  return (
    <Form errors={errors.fields} onFormSubmit={submit} aria-label="Fine-tune">
      <div className={styles.formGrid}>
        <SelectField
          key={`base-${baseOptions.length}`}
          name="base_model_version_id"
          label="Base model"
          options={baseOptions}
          value={chosenBase ? String(chosenBase.id) : ''}
          onValueChange={(value) => setBaseId(Number(value))}
          required
          disabled={ready.isPending}
          description={noBase ? 'None of your models is ready yet.' : undefined}
        />
        <SelectField
          name="method"
          label="Method"
          options={METHODS}
          value={method}
          onValueChange={(value) => setMethod(value as FineTuneMethod)}
        />
        {method === 'qlora' && (
          <SelectField
            name="config.lora.base_type"
            label="Base kept as"
            options={BASE_TYPES}
            defaultValue="Q8_0"
          />
        )}
        <SelectField
          name="dataset"
          label="Dataset"
          options={(datasets.data?.results ?? []).map((dataset) => ({
            value: String(dataset.id),
            label: dataset.name,
          }))}
          value={chosenDataset === null ? '' : String(chosenDataset)}
          onValueChange={(value) => setDatasetId(Number(value))}
          disabled={datasets.isPending}
        />
        <SelectField
          key={`${chosenDataset}-${versions.dataUpdatedAt}`}
          name="dataset_version_id"
          label="Version"
          options={validVersions.map((version) => ({
            value: String(version.id),
            label: versionLabel(version),
          }))}
          defaultValue={validVersions[0] ? String(validVersions[0].id) : undefined}
          required
          description={
            noVersion
              ? 'This dataset has no valid version yet.'
              : method === 'dpo'
                ? 'DPO learns from preference records (prompt, chosen, rejected).'
                : 'Fine-tuning learns from prompt/response or chat (messages) records.'
          }
        />
      </div>
      {method === 'dpo' && (
        <>
          <label className={styles.checkbox}>
            <input
              type="checkbox"
              checked={dpoAdapters}
              onChange={(event) => setDpoAdapters(event.target.checked)}
            />
            Train LoRA adapters (otherwise every weight trains)
          </label>
          <div className={styles.formGrid}>
            {DPO_FIELDS.map((field) => (
              <NumberInput key={field.name} field={field} />
            ))}
          </div>
        </>
      )}
      {adapters && (
        <fieldset className={styles.formGrid} data-testid="lora-options">
          <legend>LoRA</legend>
          {LORA_FIELDS.map((field) => (
            <NumberInput key={field.name} field={field} />
          ))}
          <TextField
            key={`targets-${chosenBase?.id ?? 'none'}`}
            name="config.lora.target_modules"
            label="Target layers"
            placeholder={defaultTargets.join(', ') || 'name the linear layers'}
            autoComplete="off"
            description={
              defaultTargets.length > 0
                ? `Blank: the ${architecture} default, ${defaultTargets.join(', ')}.`
                : 'This architecture has no default: name its linear layers.'
            }
          />
        </fieldset>
      )}
      <div className={styles.formGrid}>
        {RUN_FIELDS.map((field) => (
          <NumberInput key={field.name} field={field} />
        ))}
        <TextField name="name" label="Run name" placeholder="automatic" autoComplete="off" />
      </div>
      {errors.form && <FormError>{errors.form}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button
          type="submit"
          variant="primary"
          disabled={createRun.isPending || noBase || noVersion}
        >
          {createRun.isPending ? 'Starting…' : 'Start fine-tuning'}
        </Button>
      </DialogActions>
    </Form>
  );
}
