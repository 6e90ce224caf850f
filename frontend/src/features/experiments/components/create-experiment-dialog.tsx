/** The "New experiment" dialog: a name and an optional description, server errors by field. */
import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { ApiError } from '../../../lib/api-client';
import { type CreatedExperiment, useCreateExperiment } from '../api/create-experiment';

interface CreateExperimentDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (experiment: CreatedExperiment) => void;
}

export function CreateExperimentDialog({
  open,
  onOpenChange,
  onCreated,
}: CreateExperimentDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="New experiment"
      description="An experiment groups runs that answer one question, so they can be compared."
    >
      <CreateExperimentForm onCreated={onCreated} />
    </Dialog>
  );
}

function CreateExperimentForm({
  onCreated,
}: {
  onCreated: (experiment: CreatedExperiment) => void;
}) {
  const createExperiment = useCreateExperiment();
  const [fieldErrors, setFieldErrors] = useState<ApiError['fields']>({});
  const [formError, setFormError] = useState<string | null>(null);

  function submit(values: Record<string, unknown>) {
    setFormError(null);
    const text = (key: string) => (typeof values[key] === 'string' ? values[key] : '');
    createExperiment.mutate(
      { name: text('name'), description: text('description') },
      {
        onSuccess: onCreated,
        onError: (error) => {
          const fields = error instanceof ApiError ? error.fields : {};
          setFieldErrors(fields);
          if (!('name' in fields) && !('description' in fields)) setFormError(error.message);
        },
      },
    );
  }

  return (
    <Form errors={fieldErrors} onFormSubmit={submit} aria-label="New experiment">
      <TextField
        name="name"
        label="Name"
        placeholder="e.g. learning-rate sweep"
        autoComplete="off"
        required
      />
      <TextField
        name="description"
        label="Description"
        description="Optional."
        autoComplete="off"
      />
      {formError && <FormError>{formError}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={createExperiment.isPending}>
          {createExperiment.isPending ? 'Creating…' : 'Create experiment'}
        </Button>
      </DialogActions>
    </Form>
  );
}
