/**
 * "Add endpoint": a name, the server's base URL and its API key. The server fetches the model
 * list before it saves anything, so a URL it refuses (a private address, a timeout, an answer
 * that is not a model list) comes back under the field it names.
 */
import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import { useCreateEndpoint } from '../api/create-endpoint';

const SHOWN = new Set(['name', 'base_url', 'api_key']);

interface AddEndpointDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

export function AddEndpointDialog({ open, onOpenChange }: AddEndpointDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Add endpoint"
      description="An OpenAI-compatible server (OpenAI, vLLM, llama.cpp, Ollama, another SloughGPT). Its models then appear in chat, the arena and /v1."
    >
      {/* Mounted only while open, so every opening starts with an empty form. */}
      <AddEndpointForm onAdded={() => onOpenChange(false)} />
    </Dialog>
  );
}

function text(values: Record<string, unknown>, name: string): string {
  const raw = values[name];
  return typeof raw === 'string' ? raw.trim() : '';
}

function AddEndpointForm({ onAdded }: { onAdded: () => void }) {
  const create = useCreateEndpoint();
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });

  function submit(values: Record<string, unknown>) {
    setErrors({ fields: {}, form: null });
    create.mutate(
      {
        name: text(values, 'name'),
        base_url: text(values, 'base_url'),
        api_key: text(values, 'api_key'),
      },
      { onSuccess: onAdded, onError: (error) => setErrors(submitErrors(error, SHOWN)) },
    );
  }

  return (
    <Form errors={errors.fields} onFormSubmit={submit} aria-label="Add endpoint">
      <TextField
        name="name"
        label="Name"
        placeholder="e.g. lab"
        autoComplete="off"
        required
        description="Letters, digits, '.', '_' or '-'; models are named remote/<name>/<model>."
      />
      <TextField
        name="base_url"
        label="Base URL"
        placeholder="https://api.example.com/v1"
        autoComplete="off"
        required
      />
      <TextField
        name="api_key"
        label="API key (optional)"
        type="password"
        autoComplete="off"
        description="Stored encrypted; only its last four characters are shown again."
      />
      {errors.form && <FormError>{errors.form}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={create.isPending}>
          {create.isPending ? 'Fetching models…' : 'Add endpoint'}
        </Button>
      </DialogActions>
    </Form>
  );
}
