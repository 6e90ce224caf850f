/**
 * The fine-tune form's choices and how its flat values (named by the server's dotted error
 * paths, e.g. `config.lora.target_modules`) become the request: the method decides which of
 * the LoRA and DPO sections are sent, blank fields are left out so the engine's defaults (and
 * the architecture's default LoRA targets) apply.
 */
import type { SelectOption } from '../../../components/ui/select-field';
import type { CreateTrainingRunInput } from '../api/create-training-run';
import { formText, type NumberFieldSpec } from './number-field';

export type FineTuneMethod = 'full' | 'lora' | 'qlora' | 'dpo';

export const METHODS: readonly SelectOption[] = [
  { value: 'lora', label: 'LoRA: train small adapters, the base stays frozen' },
  { value: 'qlora', label: 'LoRA over a quantized base (Q8_0 or Q4): least memory' },
  { value: 'full', label: 'Full fine-tune: every weight trains' },
  { value: 'dpo', label: 'DPO: learn from preference pairs (chosen vs rejected)' },
];

export const BASE_TYPES: readonly SelectOption[] = [
  { value: 'Q8_0', label: 'Q8_0 (8-bit blocks)' },
  { value: 'Q4_0', label: 'Q4_0 (4-bit blocks)' },
  { value: 'Q4_1', label: 'Q4_1 (4-bit blocks with offsets)' },
];

export const LORA_FIELDS: readonly NumberFieldSpec[] = [
  { name: 'config.lora.r', label: 'Rank', kind: 'int', defaultValue: '8', min: 1 },
  {
    name: 'config.lora.alpha',
    label: 'Alpha',
    kind: 'int',
    defaultValue: '16',
    min: 1,
    description: 'Adapters are scaled by alpha / rank.',
  },
  { name: 'config.lora.dropout', label: 'Dropout', kind: 'float', defaultValue: '0.05', min: 0 },
];

export const DPO_FIELDS: readonly NumberFieldSpec[] = [
  {
    name: 'config.dpo.beta',
    label: 'Beta',
    kind: 'float',
    defaultValue: '0.1',
    min: 0,
    description: 'Higher keeps the tuned model closer to the base.',
  },
];

export const RUN_FIELDS: readonly NumberFieldSpec[] = [
  { name: 'config.train.max_iters', label: 'Steps', kind: 'int', defaultValue: '200', min: 1 },
  { name: 'config.train.batch_size', label: 'Batch size', kind: 'int', defaultValue: '4', min: 1 },
  { name: 'config.optim.lr', label: 'Learning rate', kind: 'float', defaultValue: '0.0001' },
  {
    name: 'config.model.block_size',
    label: 'Sequence length',
    kind: 'int',
    defaultValue: '256',
    min: 8,
    description: 'Longer examples are cut (the validation report counts them).',
  },
];

/** Server error paths the form has an input for; any other shows above the buttons. */
export const FINE_TUNE_FIELDS: ReadonlySet<string> = new Set([
  'base_model_version_id',
  'method',
  'dataset_version_id',
  'name',
  'config.lora',
  'config.lora.target_modules',
  'config.lora.base_type',
  ...[...LORA_FIELDS, ...DPO_FIELDS, ...RUN_FIELDS].map((field) => field.name),
]);

/** Whether the method trains LoRA adapters (DPO does when asked to). */
export function usesAdapters(method: FineTuneMethod, dpoAdapters: boolean): boolean {
  return method === 'lora' || method === 'qlora' || (method === 'dpo' && dpoAdapters);
}

function numbers(
  values: Readonly<Record<string, unknown>>,
  fields: readonly NumberFieldSpec[],
): Record<string, number> {
  const section: Record<string, number> = {};
  for (const field of fields) {
    const value = formText(values[field.name]);
    if (value !== '') section[field.name.split('.').at(-1) ?? field.name] = Number(value);
  }
  return section;
}

/** "q_proj, v_proj" or "q_proj v_proj" as a list; blank means the architecture's default. */
export function targetList(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

/** The request body for the form's values. */
export function buildFineTuneRequest(
  values: Readonly<Record<string, unknown>>,
  dpoAdapters: boolean,
): CreateTrainingRunInput {
  const method = formText(values.method) as FineTuneMethod;
  const train = numbers(
    values,
    RUN_FIELDS.filter((f) => f.name.startsWith('config.train.')),
  );
  const optim = numbers(
    values,
    RUN_FIELDS.filter((f) => f.name.startsWith('config.optim.')),
  );
  const model = numbers(
    values,
    RUN_FIELDS.filter((f) => f.name.startsWith('config.model.')),
  );
  const config: Record<string, unknown> = { train, optim, model };
  if (usesAdapters(method, dpoAdapters)) {
    const lora: Record<string, unknown> = numbers(values, LORA_FIELDS);
    const targets = targetList(formText(values['config.lora.target_modules']));
    if (targets.length > 0) lora.target_modules = targets;
    if (method === 'qlora') lora.base_type = formText(values['config.lora.base_type']) || 'Q8_0';
    config.lora = lora;
  }
  if (method === 'dpo') config.dpo = numbers(values, DPO_FIELDS);
  const body: CreateTrainingRunInput = {
    dataset_version_id: Number(formText(values.dataset_version_id)),
    base_model_version_id: Number(formText(values.base_model_version_id)),
    method,
    config,
  };
  const name = formText(values.name);
  if (name) body.name = name;
  return body;
}
