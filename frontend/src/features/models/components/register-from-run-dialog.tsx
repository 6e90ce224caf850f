/**
 * "Register from training run": pick a finished run, then register it as a new model (named
 * after the run unless the user types another name) or, chosen explicitly, as a new version of
 * one of their models; choose the best or last checkpoint and how the version number moves.
 * Nothing is pre-filled from the model the page has selected: that model may be unrelated.
 */
import { useState } from 'react';

import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { ApiError } from '../../../lib/api-client';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { useModels } from '../../../lib/api/get-models';
import { useTrainingRuns } from '../../../lib/api/get-training-runs';
import { useRegisterFromRun } from '../api/register-from-run';
import type { VersionBump } from '../api/upload-model-version';

interface RegisterFromRunDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onRegistered: (version: ModelVersion) => void;
}

/** "Add to" value that starts a new model rather than adding a version to an existing one. */
const NEW_MODEL = '';

/** A model name suggested by a run's name: model names may not hold ':' or '/'. */
export function modelNameFromRun(runName: string): string {
  return runName.replace(/[:/]+/g, '-').trim().slice(0, 100);
}

export const BUMP_OPTIONS = [
  { value: 'minor', label: 'Minor (1.1.0 → 1.2.0)' },
  { value: 'patch', label: 'Patch (1.1.0 → 1.1.1)' },
  { value: 'major', label: 'Major (1.1.0 → 2.0.0)' },
] as const;

export function RegisterFromRunDialog({
  open,
  onOpenChange,
  onRegistered,
}: RegisterFromRunDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Register from training run"
      description="Turn a finished run's checkpoint into a versioned model you can export and chat with."
    >
      <RegisterForm onRegistered={onRegistered} />
    </Dialog>
  );
}

function RegisterForm({ onRegistered }: { onRegistered: (version: ModelVersion) => void }) {
  const runs = useTrainingRuns({ pageSize: 100 });
  const models = useModels();
  const register = useRegisterFromRun();
  const [fieldErrors, setFieldErrors] = useState<ApiError['fields']>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [target, setTarget] = useState(NEW_MODEL);
  // null while the name follows the chosen run; the user's own text once they type.
  const [typedName, setTypedName] = useState<string | null>(null);
  const finished = (runs.data?.results ?? []).filter((run) => run.status === 'finished');
  const run = finished.find((item) => String(item.id) === runId) ?? finished[0];
  const newName = typedName ?? modelNameFromRun(run?.name ?? '');

  function submit(values: Record<string, unknown>) {
    setFormError(null);
    const text = (key: string) => (typeof values[key] === 'string' ? values[key] : '');
    register.mutate(
      {
        training_run_id: Number(run?.id),
        name: (target === NEW_MODEL ? newName : target).trim(),
        checkpoint: text('checkpoint') === 'last' ? 'last' : 'best',
        bump: (text('bump') || 'minor') as VersionBump,
        description: '',
      },
      {
        onSuccess: onRegistered,
        onError: (error) => {
          const fields = error instanceof ApiError ? error.fields : {};
          setFieldErrors(fields);
          // A message for a field not on screen (the name of an existing model) goes on top.
          const shown = ['training_run_id', 'checkpoint', 'bump'];
          if (target === NEW_MODEL) shown.push('name');
          if (!Object.keys(fields).some((key) => shown.includes(key))) setFormError(error.message);
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
        value={String(run?.id ?? '')}
        onValueChange={setRunId}
        options={finished.map((item) => ({
          value: String(item.id),
          label: `${item.name}${item.best_val_loss == null ? '' : ` · val loss ${item.best_val_loss.toFixed(3)}`}`,
        }))}
      />
      <SelectField
        name="target"
        label="Register as"
        value={target}
        onValueChange={setTarget}
        options={[
          { value: NEW_MODEL, label: 'A new model' },
          // A version registered by name goes into your own model of that name.
          ...(models.data?.results ?? [])
            .filter((model) => model.access_role === 'owner')
            .map((model) => ({
              value: model.name,
              label: `A new version of ${model.name}`,
            })),
        ]}
      />
      {target === NEW_MODEL && (
        <TextField
          name="name"
          label="Model name"
          value={newName}
          onValueChange={(value: string) => setTypedName(value)}
          placeholder="e.g. shakespeare-small"
          description="Named after the run; if you already have a model with this name, it gets a new version."
          autoComplete="off"
          required
        />
      )}
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
