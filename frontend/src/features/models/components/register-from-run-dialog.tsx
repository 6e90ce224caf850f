/**
 * "Register from training run": pick a finished run, name the model (a new name starts a new
 * model, an existing one adds a version to it), choose the best or last checkpoint and how the
 * version number moves.
 */
import { useState } from 'react';

import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { ApiError } from '../../../lib/api-client';
import { useTrainingRuns } from '../../training/api/get-training-runs';
import type { ModelVersion } from '../api/get-model-versions';
import { useRegisterFromRun } from '../api/register-from-run';
import type { VersionBump } from '../api/upload-model-version';

interface RegisterFromRunDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** Pre-filled model name, when the dialog opens from a model's page. */
  modelName?: string;
  onRegistered: (version: ModelVersion) => void;
}

export const BUMP_OPTIONS = [
  { value: 'minor', label: 'Minor (1.1.0 → 1.2.0)' },
  { value: 'patch', label: 'Patch (1.1.0 → 1.1.1)' },
  { value: 'major', label: 'Major (1.1.0 → 2.0.0)' },
] as const;

export function RegisterFromRunDialog({
  open,
  onOpenChange,
  modelName,
  onRegistered,
}: RegisterFromRunDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Register from training run"
      description="Turn a finished run's checkpoint into a versioned model you can export and chat with."
    >
      <RegisterForm modelName={modelName} onRegistered={onRegistered} />
    </Dialog>
  );
}

function RegisterForm({
  modelName,
  onRegistered,
}: {
  modelName?: string;
  onRegistered: (version: ModelVersion) => void;
}) {
  const runs = useTrainingRuns({ pageSize: 100 });
  const register = useRegisterFromRun();
  const [fieldErrors, setFieldErrors] = useState<ApiError['fields']>({});
  const [formError, setFormError] = useState<string | null>(null);
  const finished = (runs.data?.results ?? []).filter((run) => run.status === 'finished');

  function submit(values: Record<string, unknown>) {
    setFormError(null);
    const text = (key: string) => (typeof values[key] === 'string' ? values[key] : '');
    register.mutate(
      {
        training_run_id: Number(text('training_run_id')),
        name: text('name').trim(),
        checkpoint: text('checkpoint') === 'last' ? 'last' : 'best',
        bump: (text('bump') || 'minor') as VersionBump,
        description: '',
      },
      {
        onSuccess: onRegistered,
        onError: (error) => {
          const fields = error instanceof ApiError ? error.fields : {};
          setFieldErrors(fields);
          if (Object.keys(fields).length === 0) setFormError(error.message);
        },
      },
    );
  }

  if (runs.isPending) {
    return (
      <p role="status" className={muted.small}>
        Loading training runs…
      </p>
    );
  }
  if (runs.isError)
    return <FormError>Could not load training runs. {runs.error.message}</FormError>;
  if (finished.length === 0) {
    return (
      <>
        <p className={muted.small} data-testid="no-finished-runs">
          No finished training runs yet. Train on a dataset first, then register the result here.
        </p>
        <DialogActions>
          <DialogClose>Close</DialogClose>
        </DialogActions>
      </>
    );
  }

  return (
    <Form errors={fieldErrors} onFormSubmit={submit} aria-label="Register from training run">
      <SelectField
        name="training_run_id"
        label="Training run"
        required
        defaultValue={String(finished[0]?.id ?? '')}
        options={finished.map((run) => ({
          value: String(run.id),
          label: `${run.name}${run.best_val_loss == null ? '' : ` · val loss ${run.best_val_loss.toFixed(3)}`}`,
        }))}
      />
      <TextField
        name="name"
        label="Model name"
        defaultValue={modelName ?? ''}
        placeholder="e.g. shakespeare-small"
        description="An existing model gets a new version; a new name creates the model."
        autoComplete="off"
        required
      />
      <SelectField
        name="checkpoint"
        label="Checkpoint"
        defaultValue="best"
        options={[
          { value: 'best', label: 'Best (lowest validation loss)' },
          { value: 'last', label: 'Last (end of training)' },
        ]}
      />
      <SelectField name="bump" label="Version" defaultValue="minor" options={BUMP_OPTIONS} />
      {formError && <FormError>{formError}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={register.isPending}>
          {register.isPending ? 'Registering…' : 'Register'}
        </Button>
      </DialogActions>
    </Form>
  );
}
