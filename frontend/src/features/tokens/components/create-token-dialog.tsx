/** The "New token" dialog: asks for a name, shows the server's field errors next to it. */
import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { ApiError } from '../../../lib/api-client';
import { type CreatedToken, useCreateToken } from '../api/create-token';

interface CreateTokenDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onCreated: (token: CreatedToken) => void;
}

export function CreateTokenDialog({ open, onOpenChange, onCreated }: CreateTokenDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="New API token"
      description="A token lets scripts and tools act as you. Name it after where you will use it."
    >
      {/* Mounted only while open, so every opening starts with an empty form and no errors. */}
      <CreateTokenForm onCreated={onCreated} />
    </Dialog>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
  const createToken = useCreateToken();
  const [fieldErrors, setFieldErrors] = useState<ApiError['fields']>({});
  const [formError, setFormError] = useState<string | null>(null);

  function submit(values: Record<string, unknown>) {
    setFormError(null);
    createToken.mutate(
      { name: typeof values.name === 'string' ? values.name : '' },
      {
        onSuccess: onCreated,
        onError: (error) => {
          const fields = error instanceof ApiError ? error.fields : {};
          setFieldErrors(fields);
          // Messages that belong to no field we show still need to reach the user.
          if (!('name' in fields)) setFormError(error.message);
        },
      },
    );
  }

  return (
    <Form errors={fieldErrors} onFormSubmit={submit} aria-label="New API token">
      <TextField name="name" label="Name" placeholder="e.g. laptop" autoComplete="off" required />
      {formError && <FormError>{formError}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={createToken.isPending}>
          {createToken.isPending ? 'Creating…' : 'Create token'}
        </Button>
      </DialogActions>
    </Form>
  );
}
