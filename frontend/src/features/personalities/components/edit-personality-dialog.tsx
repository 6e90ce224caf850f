/**
 * "Edit": renames in place; new traits (config) or new example or background texts (learned,
 * neural) make a new version, which becomes the current one. Earlier versions stay as they
 * were for whatever uses them.
 */
import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import type { Personality } from '../api/get-personality';
import { type UpdatePersonalityInput, useUpdatePersonality } from '../api/update-personality';
import { examplesRequest } from '../utils/texts';
import { type ExampleSource, ExamplesFields } from './examples-fields';
import { NameFields } from './name-fields';
import { TraitEditor } from './trait-editor';

interface EditPersonalityDialogProps {
  personality: Personality;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

const SHOWN = new Set([
  'name',
  'description',
  'traits',
  'examples',
  'dataset_version_id',
  'background',
  'epochs',
]);

function sameTraits(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

export function EditPersonalityDialog({
  personality,
  open,
  onOpenChange,
}: EditPersonalityDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={`Edit ${personality.name}`}
      description="A change to what it does makes a new version; the earlier ones stay as they were."
      dismissOnOutsidePress={false}
      wide
    >
      <EditForm personality={personality} onDone={() => onOpenChange(false)} />
    </Dialog>
  );
}

function EditForm({ personality, onDone }: { personality: Personality; onDone: () => void }) {
  const update = useUpdatePersonality();
  const current = personality.current_version;
  const [name, setName] = useState(personality.name);
  const [description, setDescription] = useState(personality.description);
  const [traits, setTraits] = useState<Record<string, number>>({ ...(current?.traits ?? {}) });
  const [source, setSource] = useState<ExampleSource>('pasted');
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });
  const isConfig = personality.kind === 'config';

  function submit(values: Record<string, unknown>) {
    setErrors({ fields: {}, form: null });
    const changes: UpdatePersonalityInput = { name, description };
    if (isConfig && !sameTraits(traits, current?.traits ?? {})) changes.traits = traits;
    if (!isConfig) Object.assign(changes, examplesRequest(values, source, false));
    const epochs = Number(values.epochs);
    if (personality.kind === 'neural' && Number.isInteger(epochs) && epochs > 0) {
      changes.epochs = epochs;
    }
    update.mutate(
      { personalityId: personality.id, ...changes },
      { onSuccess: onDone, onError: (error) => setErrors(submitErrors(error, SHOWN)) },
    );
  }

  return (
    <Form errors={errors.fields} onFormSubmit={submit} aria-label={`Edit ${personality.name}`}>
      <NameFields
        name={name}
        onNameChange={setName}
        description={description}
        onDescriptionChange={setDescription}
      />
      {isConfig ? (
        <TraitEditor
          name={name}
          description={description}
          archetype=""
          traits={traits}
          onTraitsChange={setTraits}
        />
      ) : (
        <ExamplesFields
          source={source}
          onSourceChange={setSource}
          examplesLabel="New examples (optional)"
          examplesHint="Leave empty to keep the current version's examples; any text here replaces them all."
          backgroundHint="Leave empty to keep the current version's background texts."
          optional
        />
      )}
      {personality.kind === 'neural' && (
        <TextField
          name="epochs"
          label="Epochs (when retraining)"
          type="number"
          inputMode="numeric"
          min={1}
          step={1}
          placeholder="20"
        />
      )}
      {errors.form && <FormError>{errors.form}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save'}
        </Button>
      </DialogActions>
    </Form>
  );
}
