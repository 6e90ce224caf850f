/**
 * "New sweep": a dataset version, the training options every trial shares (JSON), the
 * search space as rows, the objective, sampler, pruner and budget. A space the server refuses
 * is named in the message (`search_space.optim.lr: ...`); on success the sweep's page opens.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { TextAreaField } from '../../../components/ui/text-area-field';
import { useDatasetVersions } from '../../../lib/api/get-dataset-versions';
import { useDatasets } from '../../../lib/api/get-datasets';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import { useCreateSweep } from '../api/create-sweep';
import { DEFAULT_ROWS, rowsToSpace, type SpaceRow } from '../utils/space-rows';
import { SearchSpaceEditor } from './search-space-editor';

export const DEFAULT_BASE_CONFIG = JSON.stringify(
  {
    model: { preset: 'nanogpt-char', n_layer: 2, n_head: 2, n_embd: 64, block_size: 64 },
    train: { max_iters: 200, eval_interval: 50, batch_size: 16 },
  },
  null,
  2,
);

const SHOWN = new Set([
  'name',
  'dataset_version_id',
  'base_config',
  'objective_metric',
  'max_trials',
  'parallelism',
]);

interface NewSweepDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  experimentId: number | null;
}

export function NewSweepDialog({ open, onOpenChange, experimentId }: NewSweepDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="New sweep"
      description="Train one run per trial, each with values drawn from the search space, and keep the best."
      dismissOnOutsidePress={false}
      wide
    >
      <NewSweepForm experimentId={experimentId} />
    </Dialog>
  );
}

function NewSweepForm({ experimentId }: { experimentId: number | null }) {
  const navigate = useNavigate();
  const create = useCreateSweep();
  const datasets = useDatasets();
  const [datasetId, setDatasetId] = useState<number | null>(null);
  const chosenDataset = datasetId ?? datasets.data?.results[0]?.id ?? null;
  const versions = useDatasetVersions(chosenDataset);
  const valid = (versions.data?.results ?? []).filter((version) => version.status === 'valid');
  const [rows, setRows] = useState<SpaceRow[]>(DEFAULT_ROWS);
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });

  function submit(values: Record<string, unknown>) {
    const text = (key: string) => (typeof values[key] === 'string' ? values[key] : '');
    let baseConfig: Record<string, unknown>;
    try {
      baseConfig = JSON.parse(text('base_config') || '{}') as Record<string, unknown>;
    } catch {
      setErrors({ fields: { base_config: ['is not valid JSON'] }, form: null });
      return;
    }
    create.mutate(
      {
        name: text('name'),
        kind: 'training',
        experiment_id: experimentId,
        dataset_version_id: Number(text('dataset_version_id') || valid[0]?.id),
        base_config: baseConfig,
        search_space: rowsToSpace(rows),
        objective_metric: text('objective_metric') || 'val_loss',
        direction: text('direction') === 'maximize' ? 'maximize' : 'minimize',
        sampler: (text('sampler') || 'tpe') as 'tpe',
        pruner: (text('pruner') || 'none') as 'none',
        pruner_startup_trials: 5,
        max_trials: Number(text('max_trials') || 20),
        parallelism: Number(text('parallelism') || 1),
      },
      {
        onSuccess: (sweep) => void navigate(`/sweeps/${sweep.id}`),
        onError: (error) => setErrors(submitErrors(error, SHOWN)),
      },
    );
  }

  return (
    <Form errors={errors.fields} onFormSubmit={submit}>
      {errors.form && <FormError>{errors.form}</FormError>}
      <TextField name="name" label="Name" required defaultValue="lr and dropout" />
      <SelectField
        name="dataset"
        label="Dataset"
        value={chosenDataset === null ? '' : String(chosenDataset)}
        onValueChange={(value) => setDatasetId(Number(value))}
        options={(datasets.data?.results ?? []).map((dataset) => ({
          value: String(dataset.id),
          label: dataset.name,
        }))}
      />
      <SelectField
        name="dataset_version_id"
        label="Version"
        options={valid.map((version) => ({
          value: String(version.id),
          label: `v${version.number}`,
        }))}
      />
      <TextAreaField
        name="base_config"
        label="Training options every trial shares"
        rows={6}
        defaultValue={DEFAULT_BASE_CONFIG}
      />
      <SearchSpaceEditor rows={rows} onChange={setRows} />
      <TextField name="objective_metric" label="Objective metric" defaultValue="val_loss" />
      <SelectField
        name="direction"
        label="Direction"
        defaultValue="minimize"
        options={[
          { value: 'minimize', label: 'Minimize' },
          { value: 'maximize', label: 'Maximize' },
        ]}
      />
      <SelectField
        name="sampler"
        label="Sampler"
        defaultValue="tpe"
        options={[
          { value: 'tpe', label: 'TPE (Bayesian)' },
          { value: 'random', label: 'Random' },
          { value: 'grid', label: 'Grid' },
          { value: 'cmaes', label: 'CMA-ES' },
        ]}
      />
      <SelectField
        name="pruner"
        label="Pruner"
        defaultValue="none"
        options={[
          { value: 'none', label: 'None' },
          { value: 'median', label: 'Median' },
          { value: 'hyperband', label: 'Hyperband' },
        ]}
      />
      <TextField name="max_trials" label="Trials" type="number" defaultValue="8" min={1} />
      <TextField name="parallelism" label="Trials at once" type="number" defaultValue="2" min={1} />
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={create.isPending}>
          Start sweep
        </Button>
      </DialogActions>
    </Form>
  );
}
