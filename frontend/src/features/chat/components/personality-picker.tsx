/**
 * The personality a conversation speaks as: None, a built-in, or one of the user's own (from
 * the Personalities page). Used when starting a conversation and in its settings.
 */
import { SelectField } from '../../../components/ui/select-field';
import { usePersonalityChoices } from '../../../lib/api/get-personality-choices';
import {
  type ConversationPersonality,
  personalityDescription,
  personalityOptions,
} from '../utils/personality-options';

interface PersonalityPickerProps {
  /** The chosen personality's id as a string; '' for none. */
  value: string;
  onValueChange: (value: string) => void;
  /** The conversation's personality, when it has one. */
  current?: ConversationPersonality | null;
}

export function PersonalityPicker({
  value,
  onValueChange,
  current = null,
}: PersonalityPickerProps) {
  const choices = usePersonalityChoices();
  const list = choices.data ?? [];
  const description = choices.isError
    ? `Could not load the personalities. ${choices.error.message}`
    : choices.isPending
      ? 'Loading personalities…'
      : personalityDescription(list, value, current);
  return (
    <SelectField
      name="personality_id"
      label="Personality"
      value={value}
      onValueChange={onValueChange}
      description={description}
      options={personalityOptions(list, current)}
    />
  );
}
