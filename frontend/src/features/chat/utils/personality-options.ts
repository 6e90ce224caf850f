/**
 * The chat's personality picker options: None, the built-ins, then the user's own (marked),
 * from `GET /api/v1/personalities/`. A personality still training or failed is shown but
 * cannot be picked; the conversation's own stays listed even while the list loads.
 */
import type { SelectOption } from '../../../components/ui/select-field';
import type { ConversationDetail } from '../api/get-conversation';
import type { PersonalityChoice } from '../../../lib/api/get-personality-choices';

export type ConversationPersonality = NonNullable<ConversationDetail['personality']>;

function state(choice: PersonalityChoice): string | null {
  const status = choice.current_version?.status;
  if (status === 'ready') return null;
  return status === undefined ? 'no version' : status;
}

export function personalityOptions(
  choices: readonly PersonalityChoice[],
  current: ConversationPersonality | null = null,
): SelectOption[] {
  const options: SelectOption[] = [{ value: '', label: 'None' }];
  for (const choice of choices) {
    const unusable = state(choice);
    const label = choice.builtin ? choice.name : `${choice.name} (yours)`;
    options.push({
      value: String(choice.id),
      label: unusable ? `${label}, ${unusable}` : label,
      disabled: unusable !== null && choice.id !== current?.id,
    });
  }
  if (current && !choices.some((choice) => choice.id === current.id)) {
    options.push({ value: String(current.id), label: current.name });
  }
  return options;
}

/** The line under the picker: what the chosen personality is, and its version if it moved on. */
export function personalityDescription(
  choices: readonly PersonalityChoice[],
  chosenId: string,
  current: ConversationPersonality | null,
): string | undefined {
  const chosen = choices.find((choice) => String(choice.id) === chosenId);
  const parts = chosen?.description ? [chosen.description] : [];
  if (current && String(current.id) === chosenId && current.outdated) {
    parts.push(
      `This conversation uses version ${current.version_number}; saving moves it to the newest.`,
    );
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}
