/**
 * "New learned personality" and "New neural personality": a name and the example texts of
 * its voice (pasted or from a dataset version), with optional background texts. A learned
 * one is fitted while the dialog waits (seconds); a neural one trains on a worker and its
 * page opens at once to show the progress and loss live. Too few examples is the server's
 * message under the examples field.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import { useCreatePersonality } from '../api/create-personality';
import { examplesRequest } from '../utils/texts';
import { type ExampleSource, ExamplesFields } from './examples-fields';
import { NameFields } from './name-fields';

export type ExamplesKind = 'learned' | 'neural';

interface CreateFromExamplesDialogProps {
  kind: ExamplesKind;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

const SHOWN = new Set([
  'name',
  'description',
  'examples',
  'dataset_version_id',
  'background',
  'epochs',
]);

export const KIND_TEXT: Record<
  ExamplesKind,
  { title: string; description: string; examples: string; background: string; submit: string }
> = {
  learned: {
    title: 'New learned personality',
    description:
      'Learned from texts in the voice you want: a classifier tells them apart from ordinary text and measures how close any text comes.',
    examples: 'At least 20 texts in its voice, one per line.',
    background:
      'At least 20 texts not in its voice, one per line; leave empty to use a built-in set of neutral sentences.',
    submit: 'Learn personality',
  },
  neural: {
    title: 'New neural personality',
    description:
      'Trained on a worker: a small network learns an embedding space where texts labelled as this personality sit apart from the background. You can watch its loss fall.',
    examples: 'At least 10 texts, one per line, each labelled as this personality.',
    background:
      'At least 10 texts labelled "not" this personality, one per line; leave empty to use a built-in set of neutral sentences.',
    submit: 'Start training',
  },
};

export function CreateFromExamplesDialog({
  kind,
  open,
  onOpenChange,
}: CreateFromExamplesDialogProps) {
  const text = KIND_TEXT[kind];
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={text.title}
      description={text.description}
      dismissOnOutsidePress={false}
      wide
    >
      <CreateFromExamplesForm kind={kind} />
    </Dialog>
  );
}

function CreateFromExamplesForm({ kind }: { kind: ExamplesKind }) {
  const text = KIND_TEXT[kind];
  const navigate = useNavigate();
  const create = useCreatePersonality();
  const [source, setSource] = useState<ExampleSource>('pasted');
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });

  function submit(values: Record<string, unknown>) {
    setErrors({ fields: {}, form: null });
    const epochs = Number(values.epochs);
    create.mutate(
      {
        kind,
        name: typeof values.name === 'string' ? values.name : '',
        description: typeof values.description === 'string' ? values.description : '',
        ...examplesRequest(values, source),
        ...(kind === 'neural' && Number.isInteger(epochs) && epochs > 0 ? { epochs } : {}),
      },
      {
        onSuccess: (created) => void navigate(`/personalities/${created.id}`),
        onError: (error) => setErrors(submitErrors(error, SHOWN)),
      },
    );
  }

  const pendingLabel = kind === 'learned' ? 'Learning…' : 'Starting…';
  return (
    <Form errors={errors.fields} onFormSubmit={submit} aria-label={text.title}>
      <NameFields />
      <ExamplesFields
        source={source}
        onSourceChange={setSource}
        examplesLabel="Examples"
        examplesHint={text.examples}
        backgroundHint={text.background}
      />
      {kind === 'neural' && (
        <TextField
          name="epochs"
          label="Epochs"
          type="number"
          inputMode="numeric"
          min={1}
          step={1}
          defaultValue="20"
          description="Passes over the texts; more takes longer and may fit them more closely."
        />
      )}
      {errors.form && <FormError>{errors.form}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={create.isPending}>
          {create.isPending ? pendingLabel : text.submit}
        </Button>
      </DialogActions>
    </Form>
  );
}
