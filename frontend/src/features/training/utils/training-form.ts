/**
 * The new-training-run form's fields and how its flat values (named by the server's dotted
 * error paths, e.g. `config.train.max_iters`) become the nested request. A blank optional
 * field is left out, so the engine's own default (or the preset's shape) applies.
 */
import type { SelectOption } from '../../../components/ui/select-field';
import type { CreateTrainingRunInput } from '../api/create-training-run';
import { formText, type NumberFieldSpec } from './number-field';

export const SMALL_PRESETS: readonly SelectOption[] = [
  { value: 'nanogpt-char', label: 'nanoGPT char: 4 layers, 128 wide (trains on a CPU)' },
  { value: 'llama-tiny', label: 'LLaMA tiny: 4 layers, quick experiments' },
];

export const LARGE_PRESETS: readonly SelectOption[] = [
  { value: 'gpt2-small', label: 'GPT-2 small: 124M parameters (needs a GPU)' },
  { value: 'smollm2-135m', label: 'SmolLM2 135M: 30 layers (needs a GPU)' },
];

/** `model_version`: the tokenizer of one of the user's ready model versions, named by id. */
export const MODEL_VERSION_TOKENIZER = 'model_version';

export const TOKENIZERS: readonly SelectOption[] = [
  { value: 'char', label: 'Characters' },
  { value: 'bpe', label: 'BPE, trained on this data' },
  { value: MODEL_VERSION_TOKENIZER, label: 'The tokenizer of one of my models' },
];

export const SCHEDULES: readonly SelectOption[] = [
  'cosine',
  'constant',
  'linear',
  'one_cycle',
  'cyclic',
  'polynomial',
].map((value) => ({ value, label: value.replace('_', ' ') }));

export const PRECISIONS: readonly SelectOption[] = [
  { value: 'auto', label: 'auto (bf16 where the GPU supports it)' },
  { value: 'fp32', label: 'fp32' },
  { value: 'bf16', label: 'bf16' },
  { value: 'fp16', label: 'fp16' },
];

/** Shown to everyone: what most runs change. */
export const KEY_FIELDS: readonly NumberFieldSpec[] = [
  { name: 'config.train.max_iters', label: 'Steps', kind: 'int', defaultValue: '2000', min: 1 },
  {
    name: 'config.train.batch_size',
    label: 'Batch size',
    kind: 'int',
    defaultValue: '12',
    min: 1,
    description: 'Sequences per step.',
  },
  { name: 'config.optim.lr', label: 'Learning rate', kind: 'float', defaultValue: '0.001' },
];

/** Behind "Advanced": blank model fields keep the preset's shape. */
export const ADVANCED_FIELDS: readonly NumberFieldSpec[] = [
  { name: 'config.model.n_layer', label: 'Layers', kind: 'int', defaultValue: '', min: 1 },
  { name: 'config.model.n_head', label: 'Attention heads', kind: 'int', defaultValue: '', min: 1 },
  { name: 'config.model.n_embd', label: 'Width (n_embd)', kind: 'int', defaultValue: '', min: 1 },
  {
    name: 'config.model.block_size',
    label: 'Context length',
    kind: 'int',
    defaultValue: '',
    min: 1,
  },
  { name: 'config.model.dropout', label: 'Dropout', kind: 'float', defaultValue: '', min: 0 },
  {
    name: 'config.data.bpe_vocab_size',
    label: 'BPE vocabulary size',
    kind: 'int',
    defaultValue: '8192',
    min: 2,
  },
  {
    name: 'config.optim.min_lr',
    label: 'Minimum learning rate',
    kind: 'float',
    defaultValue: '0.0001',
    min: 0,
  },
  {
    name: 'config.optim.warmup_iters',
    label: 'Warmup steps',
    kind: 'int',
    defaultValue: '100',
    min: 0,
  },
  {
    name: 'config.optim.weight_decay',
    label: 'Weight decay',
    kind: 'float',
    defaultValue: '0.1',
    min: 0,
  },
  {
    name: 'config.optim.grad_clip',
    label: 'Gradient clip (0 = off)',
    kind: 'float',
    defaultValue: '1.0',
    min: 0,
  },
  {
    name: 'config.train.grad_accum',
    label: 'Gradient accumulation',
    kind: 'int',
    defaultValue: '1',
    min: 1,
  },
  {
    name: 'config.train.eval_interval',
    label: 'Evaluate every (steps)',
    kind: 'int',
    defaultValue: '250',
    min: 1,
  },
  { name: 'config.train.seed', label: 'Seed', kind: 'int', defaultValue: '1337' },
  {
    name: 'config.train.early_stopping_patience',
    label: 'Early stopping patience (0 = never)',
    kind: 'int',
    defaultValue: '0',
    min: 0,
  },
];

/**
 * Behind "Advanced": training processes (run under torchrun by the train workers). 1 x 1, the
 * default, trains inside one worker as before and is not sent.
 */
export const PROCESS_FIELDS: readonly NumberFieldSpec[] = [
  {
    name: 'nproc_per_node',
    label: 'Processes per node',
    kind: 'int',
    defaultValue: '1',
    min: 1,
    description: 'One per GPU, or per CPU core. Each trains its own batches.',
  },
  {
    name: 'nnodes',
    label: 'Nodes',
    kind: 'int',
    defaultValue: '1',
    min: 1,
    description: 'Train workers (usually hosts) the run trains on at once.',
  },
];

export const DISTRIBUTED: readonly SelectOption[] = [
  { value: 'ddp', label: 'DDP: every process holds the whole model' },
  { value: 'fsdp', label: 'FSDP: weights and optimizer state sharded' },
  { value: 'zero', label: 'ZeRO-1: optimizer state sharded' },
];

/** Select fields, with their defaults. */
export const SELECT_DEFAULTS = {
  'config.model.preset': 'nanogpt-char',
  'config.data.tokenizer': 'char',
  'config.optim.schedule': 'cosine',
  'config.train.precision': 'auto',
  'config.train.distributed': 'ddp',
} as const;

export const ADVANCED_NAMES: ReadonlySet<string> = new Set([
  ...ADVANCED_FIELDS.map((field) => field.name),
  ...PROCESS_FIELDS.map((field) => field.name),
  'config.optim.schedule',
  'config.train.precision',
  'config.train.distributed',
]);

const KINDS: ReadonlyMap<string, NumberFieldSpec['kind']> = new Map(
  [...KEY_FIELDS, ...ADVANCED_FIELDS].map((field) => [field.name, field.kind]),
);

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const child = (target[head] ??= {}) as Record<string, unknown>;
  setPath(child, rest, value);
}

/**
 * The request body for the form's values. `experimentId` files the run under that experiment;
 * otherwise `experiment_name` (or the dataset's name, server-side) picks or creates one.
 */
export function buildTrainingRequest(
  values: Readonly<Record<string, unknown>>,
  experimentId?: number,
): CreateTrainingRunInput {
  const config: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(values)) {
    if (!name.startsWith('config.')) continue;
    const value = formText(raw);
    if (value === '') continue;
    const kind = KINDS.get(name) ?? 'text';
    setPath(config, name.split('.').slice(1), kind === 'text' ? value : Number(value));
  }
  const body: CreateTrainingRunInput = {
    dataset_version_id: Number(formText(values.dataset_version_id)),
    config,
  };
  const valVersion = formText(values.val_dataset_version_id);
  if (valVersion) body.val_dataset_version_id = Number(valVersion);
  const curriculum = formText(values['curriculum.feature']);
  if (curriculum) {
    const order = formText(values['curriculum.order']) === 'desc' ? 'desc' : 'asc';
    body.curriculum = { feature: curriculum, order };
  }
  const weight = formText(values['weight_by.feature']);
  if (weight) body.weight_by = { feature: weight };
  const tokenizerVersion = formText(values.tokenizer_model_version_id);
  if (tokenizerVersion) body.tokenizer_model_version_id = Number(tokenizerVersion);
  for (const field of ['nproc_per_node', 'nnodes'] as const) {
    const count = formText(values[field]);
    if (count !== '' && count !== '1') body[field] = Number(count);
  }
  const name = formText(values.name);
  if (name) body.name = name;
  if (experimentId !== undefined) {
    body.experiment_id = experimentId;
  } else {
    const experimentName = formText(values.experiment_name);
    if (experimentName) body.experiment_name = experimentName;
  }
  return body;
}
