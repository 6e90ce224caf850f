/**
 * "New config personality": a name, an archetype to start from (or none: every trait in the
 * middle), trait sliders and the live preview of the prompt and sampling they make.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError } from '../../../components/ui/form';
import { SelectField, type SelectOption } from '../../../components/ui/select-field';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import { useCreatePersonality } from '../api/create-personality';
import { usePersonalities } from '../api/get-personalities';
import { NameFields } from './name-fields';
import { TraitEditor } from './trait-editor';

interface DialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

const SHOWN = new Set(['name', 'description', 'archetype', 'traits']);
const NO_ARCHETYPE = '';

export function CreateConfigDialog({ open, onOpenChange }: DialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="New config personality"
      description="Set how warm, formal, enthusiastic… it is. The system prompt and sampling it gives a model update as you go."
      dismissOnOutsidePress={false}
      wide
    >
      <CreateConfigForm />
    </Dialog>
  );
}

function CreateConfigForm() {
  const navigate = useNavigate();
  const create = useCreatePersonality();
  const builtins = usePersonalities('config');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [archetype, setArchetype] = useState(NO_ARCHETYPE);
  const [traits, setTraits] = useState<Record<string, number>>({});
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });

  const archetypes = (builtins.data?.results ?? []).filter((p) => p.builtin && p.archetype);
  const options: SelectOption[] = [
    { value: NO_ARCHETYPE, label: 'None: every trait at 0.5' },
    ...archetypes.map((p) => ({ value: p.archetype, label: p.name })),
  ];

  function chooseArchetype(key: string) {
    setArchetype(key);
    const chosen = archetypes.find((p) => p.archetype === key);
    setTraits({ ...(chosen?.current_version?.traits ?? {}) });
  }

  function submit() {
    setErrors({ fields: {}, form: null });
    create.mutate(
      { kind: 'config', name, description, archetype, traits },
      {
        onSuccess: (created) => void navigate(`/personalities/${created.id}`),
        onError: (error) => setErrors(submitErrors(error, SHOWN)),
      },
    );
  }

  return (
    <Form errors={errors.fields} onFormSubmit={submit} aria-label="New config personality">
      <NameFields
        name={name}
        onNameChange={setName}
        description={description}
        onDescriptionChange={setDescription}
        descriptionHint="Optional; an archetype's own description is used when empty."
      />
      <SelectField
        name="archetype"
        label="Start from archetype"
        options={options}
        value={archetype}
        onValueChange={chooseArchetype}
        disabled={builtins.isPending}
      />
      <TraitEditor
        name={name}
        description={description}
        archetype={archetype}
        traits={traits}
        onTraitsChange={setTraits}
      />
      {errors.form && <FormError>{errors.form}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create personality'}
        </Button>
      </DialogActions>
    </Form>
  );
}
