/**
 * The dialog that creates a named thing from a name and an optional description (a dataset,
 * an experiment): the form, its pending state, and server errors by field.
 */
import type { UseMutationResult } from '@tanstack/react-query';
import { useState } from 'react';

import { ApiError } from '../lib/api-client';
import { Button } from './ui/button';
import { Dialog, DialogActions, DialogClose } from './ui/dialog';
import { Form, FormError, TextField } from './ui/form';

interface NamedInput {
  name: string;
  description: string;
}

interface CreateNamedDialogProps<TCreated> {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (created: TCreated) => void;
  /** The dialog's title, also the form's accessible name, e.g. "New dataset". */
  title: string;
  description: string;
  namePlaceholder: string;
  /** The hint under the description field. */
  descriptionHint: string;
  /** The submit button's label, e.g. "Create dataset". */
  submitLabel: string;
  /** The mutation hook that creates it; called only while the dialog is open. */
  useCreate: () => UseMutationResult<TCreated, Error, NamedInput>;
}

export function CreateNamedDialog<TCreated>({
  open,
  onOpenChange,
  title,
  description,
  ...form
}: CreateNamedDialogProps<TCreated>) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange} title={title} description={description}>
      {/* Mounted only while open, so each opening starts empty. */}
      <CreateNamedForm title={title} {...form} />
    </Dialog>
  );
}

function CreateNamedForm<TCreated>({
  onCreated,
  title,
  namePlaceholder,
  descriptionHint,
  submitLabel,
  useCreate,
}: Omit<CreateNamedDialogProps<TCreated>, 'open' | 'onOpenChange' | 'description'>) {
  const create = useCreate();
  const [fieldErrors, setFieldErrors] = useState<ApiError['fields']>({});
  const [formError, setFormError] = useState<string | null>(null);

  function submit(values: Record<string, unknown>) {
    setFormError(null);
    const text = (key: string) => (typeof values[key] === 'string' ? values[key] : '');
    create.mutate(
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
    <Form errors={fieldErrors} onFormSubmit={submit} aria-label={title}>
      <TextField
        name="name"
        label="Name"
        placeholder={namePlaceholder}
        autoComplete="off"
        required
      />
      <TextField
        name="description"
        label="Description"
        description={descriptionHint}
        autoComplete="off"
      />
      {formError && <FormError>{formError}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : submitLabel}
        </Button>
      </DialogActions>
    </Form>
  );
}
