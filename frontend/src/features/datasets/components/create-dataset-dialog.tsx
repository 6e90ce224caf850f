/** The "New dataset" dialog: a name and an optional description, server errors by field. */
import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { ApiError } from '../../../lib/api-client';
import { type CreatedDataset, useCreateDataset } from '../api/create-dataset';

interface CreateDatasetDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (dataset: CreatedDataset) => void;
}

export function CreateDatasetDialog({ open, onOpenChange, onCreated }: CreateDatasetDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="New dataset"
      description="A dataset holds versions of your training text. Upload the first file once it exists."
    >
      {/* Mounted only while open, so each opening starts empty. */}
      <CreateDatasetForm onCreated={onCreated} />
    </Dialog>
  );
}

function CreateDatasetForm({ onCreated }: { onCreated: (dataset: CreatedDataset) => void }) {
  const createDataset = useCreateDataset();
  const [fieldErrors, setFieldErrors] = useState<ApiError['fields']>({});
  const [formError, setFormError] = useState<string | null>(null);

  function submit(values: Record<string, unknown>) {
    setFormError(null);
    const text = (key: string) => (typeof values[key] === 'string' ? values[key] : '');
    createDataset.mutate(
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
    <Form errors={fieldErrors} onFormSubmit={submit} aria-label="New dataset">
      <TextField
        name="name"
        label="Name"
        placeholder="e.g. shakespeare"
        autoComplete="off"
        required
      />
      <TextField
        name="description"
        label="Description"
        description="Optional: where the text comes from, what it is for."
        autoComplete="off"
      />
      {formError && <FormError>{formError}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={createDataset.isPending}>
          {createDataset.isPending ? 'Creating…' : 'Create dataset'}
        </Button>
      </DialogActions>
    </Form>
  );
}
