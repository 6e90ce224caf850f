/**
 * The recipe step types the builder offers, the options each one takes, and the edits the
 * builder makes to its list of steps. A step is edited as strings and booleans (what inputs
 * hold) and turned into the API's typed options only when it is previewed or saved; an empty
 * optional field is left out, so the server's default applies.
 */

export type StepType =
  | 'normalize'
  | 'length_filter'
  | 'language_filter'
  | 'regex_filter'
  | 'feature_filter'
  | 'sample'
  | 'dedup_exact'
  | 'dedup_near'
  | 'pii_scrub'
  | 'template'
  | 'split'
  | 'mix';

/**
 * How an option is edited and sent: a number, text, a yes/no, one of a few, a list, or a
 * number feature of the registry (picked from `GET /api/v1/feature-groups/`, sent as its name).
 */
export type OptionKind =
  'bool' | 'int' | 'float' | 'text' | 'choice' | 'list' | 'numberList' | 'feature';

export interface OptionSpec {
  name: string;
  label: string;
  kind: OptionKind;
  /** What a new step starts with, as the input holds it. */
  initial: string | boolean;
  choices?: readonly string[];
  hint?: string;
}

export interface StepSpec {
  type: StepType;
  label: string;
  description: string;
  options: readonly OptionSpec[];
}

const FIELD: OptionSpec = {
  name: 'field',
  label: 'Column',
  kind: 'text',
  initial: '',
  hint: "Empty: the record's text",
};

export const STEP_SPECS: readonly StepSpec[] = [
  {
    type: 'normalize',
    label: 'Normalize',
    description: 'Unicode NFKC, collapsed whitespace, control characters removed.',
    options: [
      { name: 'nfkc', label: 'Unicode NFKC', kind: 'bool', initial: true },
      { name: 'whitespace', label: 'Collapse whitespace', kind: 'bool', initial: true },
      { name: 'control', label: 'Remove control characters', kind: 'bool', initial: true },
    ],
  },
  {
    type: 'length_filter',
    label: 'Length filter',
    description: 'Keeps records whose length is within the bounds.',
    options: [
      {
        name: 'unit',
        label: 'Unit',
        kind: 'choice',
        initial: 'chars',
        choices: ['chars', 'tokens'],
      },
      { name: 'min', label: 'Minimum', kind: 'int', initial: '' },
      { name: 'max', label: 'Maximum', kind: 'int', initial: '' },
      FIELD,
    ],
  },
  {
    type: 'language_filter',
    label: 'Language filter',
    description: 'Keeps records detected as one of the languages.',
    options: [
      {
        name: 'languages',
        label: 'Languages',
        kind: 'list',
        initial: 'en',
        hint: 'ISO codes, comma-separated',
      },
      { name: 'min_confidence', label: 'Minimum confidence', kind: 'float', initial: '0.5' },
      FIELD,
    ],
  },
  {
    type: 'regex_filter',
    label: 'Regex filter',
    description: 'Keeps records that match (or do not match) a regular expression.',
    options: [
      { name: 'pattern', label: 'Pattern', kind: 'text', initial: '' },
      {
        name: 'keep',
        label: 'Keep',
        kind: 'choice',
        initial: 'match',
        choices: ['match', 'nonmatch'],
      },
      FIELD,
    ],
  },
  {
    type: 'feature_filter',
    label: 'Feature filter',
    description: 'Keeps records whose feature value is within the bounds.',
    options: [
      { name: 'feature', label: 'Feature', kind: 'feature', initial: 'words' },
      { name: 'min', label: 'Minimum', kind: 'float', initial: '' },
      { name: 'max', label: 'Maximum', kind: 'float', initial: '' },
    ],
  },
  {
    type: 'sample',
    label: 'Sample',
    description: 'Keeps n records or a fraction of them, chosen with a seed.',
    options: [
      { name: 'n', label: 'Records', kind: 'int', initial: '' },
      { name: 'fraction', label: 'Fraction', kind: 'float', initial: '0.5' },
      { name: 'seed', label: 'Seed', kind: 'int', initial: '0' },
    ],
  },
  {
    type: 'dedup_exact',
    label: 'Exact deduplication',
    description: 'Drops records whose normalized text was seen before.',
    options: [FIELD],
  },
  {
    type: 'dedup_near',
    label: 'Near-duplicate removal',
    description: 'Drops records similar to an earlier one (MinHash LSH).',
    options: [
      { name: 'threshold', label: 'Similarity threshold', kind: 'float', initial: '0.8' },
      { name: 'num_perm', label: 'Permutations', kind: 'int', initial: '' },
      { name: 'ngram', label: 'Words per shingle', kind: 'int', initial: '' },
      FIELD,
    ],
  },
  {
    type: 'pii_scrub',
    label: 'PII scrubbing',
    description: 'Replaces e-mails, phone numbers, IPs and card numbers with tokens.',
    options: [
      {
        name: 'kinds',
        label: 'Kinds',
        kind: 'list',
        initial: 'email, phone, ip, card',
        hint: 'Any of email, phone, ip, card',
      },
    ],
  },
  {
    type: 'template',
    label: 'Template',
    description: 'Maps columns into prompt/response, chat messages or text.',
    options: [
      {
        name: 'mode',
        label: 'Mode',
        kind: 'choice',
        initial: 'pair',
        choices: ['pair', 'chat', 'text'],
      },
      { name: 'prompt', label: 'Prompt', kind: 'text', initial: '{instruction}' },
      { name: 'response', label: 'Response', kind: 'text', initial: '{output}' },
      { name: 'text', label: 'Text', kind: 'text', initial: '' },
      { name: 'system', label: 'System message', kind: 'text', initial: '' },
    ],
  },
  {
    type: 'split',
    label: 'Split',
    description: 'Train, validation and test parts by fraction. Must be the last step.',
    options: [
      { name: 'train', label: 'Train', kind: 'float', initial: '0.8' },
      { name: 'validation', label: 'Validation', kind: 'float', initial: '0.1' },
      { name: 'test', label: 'Test', kind: 'float', initial: '0.1' },
      { name: 'seed', label: 'Seed', kind: 'int', initial: '0' },
      { name: 'group_by', label: 'Group by column', kind: 'text', initial: '' },
    ],
  },
  {
    type: 'mix',
    label: 'Mix',
    description: 'Mixes the inputs by weight to a target size. Must be the first step.',
    options: [
      {
        name: 'weights',
        label: 'Weights',
        kind: 'numberList',
        initial: '1, 1',
        hint: 'One per input, comma-separated',
      },
      { name: 'target_size', label: 'Target records', kind: 'int', initial: '' },
      { name: 'seed', label: 'Seed', kind: 'int', initial: '0' },
    ],
  },
];

const SPECS = new Map(STEP_SPECS.map((spec) => [spec.type, spec]));

export function stepSpec(type: string): StepSpec | undefined {
  return SPECS.get(type as StepType);
}

export function stepLabel(type: string): string {
  return stepSpec(type)?.label ?? type;
}

/** A step as the builder edits it; `key` keeps React's identity across reorders. */
export interface DraftStep {
  key: string;
  type: StepType;
  values: Record<string, string | boolean>;
}

let nextKey = 0;
function newKey(): string {
  nextKey += 1;
  return `step-${nextKey}`;
}

export function newStep(type: StepType): DraftStep {
  const spec = SPECS.get(type);
  const values = Object.fromEntries((spec?.options ?? []).map((o) => [o.name, o.initial]));
  return { key: newKey(), type, values };
}

export function addStep(steps: readonly DraftStep[], type: StepType): DraftStep[] {
  return [...steps, newStep(type)];
}

export function removeStep(steps: readonly DraftStep[], index: number): DraftStep[] {
  return steps.filter((_, at) => at !== index);
}

/** Moves the step at `index` by `offset` places (-1 up, 1 down); out of range changes nothing. */
export function moveStep(steps: readonly DraftStep[], index: number, offset: number): DraftStep[] {
  const target = index + offset;
  if (index < 0 || index >= steps.length || target < 0 || target >= steps.length) {
    return [...steps];
  }
  const next = [...steps];
  const [moved] = next.splice(index, 1);
  if (moved) next.splice(target, 0, moved);
  return next;
}

export function updateStep(
  steps: readonly DraftStep[],
  index: number,
  name: string,
  value: string | boolean,
): DraftStep[] {
  return steps.map((step, at) =>
    at === index ? { ...step, values: { ...step.values, [name]: value } } : step,
  );
}

/** A step as the API takes and answers it: its type and its options. */
export type StepPayload = { type: string } & Record<string, unknown>;

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function toValue(option: OptionSpec, raw: string | boolean): unknown {
  if (option.kind === 'bool') return raw === true;
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') return undefined;
  switch (option.kind) {
    case 'int':
    case 'float': {
      // A number the browser cannot read goes as typed, so the server names the field.
      const number = Number(text);
      return Number.isFinite(number) ? number : text;
    }
    case 'list':
      return splitList(text);
    case 'numberList':
      return splitList(text).map((item) => (Number.isFinite(Number(item)) ? Number(item) : item));
    default:
      // Patterns and templates keep their spaces: they can matter.
      return raw;
  }
}

export function stepToPayload(step: DraftStep): StepPayload {
  const payload: StepPayload = { type: step.type };
  for (const option of SPECS.get(step.type)?.options ?? []) {
    const value = toValue(option, step.values[option.name] ?? option.initial);
    if (value !== undefined) payload[option.name] = value;
  }
  return payload;
}

function toInput(option: OptionSpec, value: unknown): string | boolean {
  if (option.kind === 'bool') return value === true;
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(', ');
  return typeof value === 'string' || typeof value === 'number'
    ? String(value)
    : JSON.stringify(value);
}

/** A stored step back into the builder; options it does not know are kept out of the form. */
export function stepFromPayload(payload: StepPayload): DraftStep {
  const spec = SPECS.get(payload.type as StepType);
  const values = Object.fromEntries(
    (spec?.options ?? []).map((option) => [
      option.name,
      option.name in payload ? toInput(option, payload[option.name]) : toInput(option, undefined),
    ]),
  );
  return { key: newKey(), type: payload.type as StepType, values };
}

/**
 * The server's messages for one step, by option name, from a 400's fields
 * (`steps.<index>.<option>`); a message about the step as a whole comes under `type`.
 */
export function stepErrors(
  fields: Readonly<Record<string, readonly string[]>>,
  index: number,
): Record<string, string> {
  const prefix = `steps.${index}`;
  const errors: Record<string, string> = {};
  for (const [name, messages] of Object.entries(fields)) {
    const message = messages[0];
    if (message === undefined) continue;
    if (name === prefix) errors.type = message;
    else if (name.startsWith(`${prefix}.`)) errors[name.slice(prefix.length + 1)] = message;
  }
  return errors;
}
