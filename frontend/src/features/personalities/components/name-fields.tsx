/**
 * A personality's name and description: the first fields of every form that creates or edits
 * one. Controlled when the form reads them as the user types (the trait preview does),
 * otherwise read from the submitted values.
 */
import { TextField } from '../../../components/ui/form';

interface NameFieldsProps {
  name?: string;
  onNameChange?: (name: string) => void;
  description?: string;
  onDescriptionChange?: (description: string) => void;
  descriptionHint?: string;
}

export function NameFields({
  name,
  onNameChange,
  description,
  onDescriptionChange,
  descriptionHint,
}: NameFieldsProps) {
  return (
    <>
      <TextField
        name="name"
        label="Name"
        autoComplete="off"
        required
        value={name}
        onValueChange={onNameChange}
      />
      <TextField
        name="description"
        label="Description"
        description={descriptionHint}
        autoComplete="off"
        value={description}
        onValueChange={onDescriptionChange}
      />
    </>
  );
}
