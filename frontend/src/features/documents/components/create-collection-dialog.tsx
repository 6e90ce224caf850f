/** The "New collection" dialog: a name, a description, and how documents are cut into chunks. */
import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { ApiError } from '../../../lib/api-client';
import { useCreateCollection } from '../api/create-collection';
import type { Collection } from '../../../lib/api/get-collections';

interface CreateCollectionDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (collection: Collection) => void;
}

export function CreateCollectionDialog({
  open,
  onOpenChange,
  onCreated,
}: CreateCollectionDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="New collection"
      description="A collection groups documents that a conversation can answer from."
    >
      <CreateCollectionForm onCreated={onCreated} />
    </Dialog>
  );
}

function CreateCollectionForm({ onCreated }: { onCreated: (collection: Collection) => void }) {
  const create = useCreateCollection();
  const [fieldErrors, setFieldErrors] = useState<ApiError['fields']>({});
  const [formError, setFormError] = useState<string | null>(null);

  function submit(values: Record<string, unknown>) {
    setFormError(null);
    const text = (key: string) => (typeof values[key] === 'string' ? values[key] : '');
    create.mutate(
      {
        name: text('name'),
        description: text('description'),
        chunk_size: Number(text('chunk_size')) || 160,
        chunk_overlap: Number(text('chunk_overlap')) || 0,
      },
      {
        onSuccess: onCreated,
        onError: (error) => {
          const fields = error instanceof ApiError ? error.fields : {};
          setFieldErrors(fields);
          if (Object.keys(fields).length === 0) setFormError(error.message);
        },
      },
    );
  }

  return (
    <Form errors={fieldErrors} onFormSubmit={submit} aria-label="New collection">
      <TextField
        name="name"
        label="Name"
        placeholder="e.g. product manuals"
        autoComplete="off"
        required
      />
      <TextField name="description" label="Description" autoComplete="off" />
      <TextField
        name="chunk_size"
        label="Chunk size (tokens)"
        type="number"
        defaultValue="160"
        min={1}
        description="Smaller chunks cite more precisely; larger ones carry more context."
      />
      <TextField
        name="chunk_overlap"
        label="Chunk overlap (tokens)"
        type="number"
        defaultValue="32"
        min={0}
      />
      {formError && <FormError>{formError}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create collection'}
        </Button>
      </DialogActions>
    </Form>
  );
}
