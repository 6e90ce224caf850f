/**
 * "Apply a personality": pick one of your personalities or a built-in, how to apply it
 * (steering, persona LoRA or system prompt, each said in one line), and the evaluation that
 * follows: how many probes (or which ones) and how long each answer may be, plus the method's
 * own options (a persona LoRA may take a remote model as its teacher). Empty options keep the
 * server's defaults. A 400 is shown under the field it names (`options.<name>`, `method`); one
 * about the model itself (a context too small for the probes) above the buttons.
 */
import { useState } from 'react';

import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { useEndpoints } from '../../../lib/api/get-endpoints';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import {
  type PersonalityChoice,
  usePersonalityChoices,
} from '../../../lib/api/get-personality-choices';
import { parseModelChoice, remoteModelOptions } from '../../../lib/model-choice';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import {
  type ApplicationInput,
  useCreatePersonalityApplication,
} from '../api/create-personality-application';
import type {
  ApplicationMethod,
  PersonalityApplication,
} from '../api/get-personality-applications';
import { useProbes } from '../api/get-personality-probes';
import styles from './models.module.css';

export const METHODS: readonly { value: ApplicationMethod; label: string; explain: string }[] = [
  {
    value: 'steering',
    label: 'Steering',
    explain:
      'Adds the personality’s steering vectors to the model’s activations: same weights, a nudged voice, minutes of work.',
  },
  {
    value: 'lora',
    label: 'Persona LoRA',
    explain:
      'Trains a small LoRA that speaks as the personality would with its prompt, merged into the weights: slowest, needs no prompt.',
  },
  {
    value: 'prompt',
    label: 'System prompt',
    explain:
      'Keeps the weights and carries the personality’s system prompt and sampling defaults: fastest.',
  },
];

export const DEFAULT_PROBES = 8;
export const DEFAULT_MAX_TOKENS = 48;

/** The fields this form shows, so a server message for any other goes above the buttons. */
const SHOWN = new Set([
  'personality_id',
  'method',
  'options.probes',
  'options.probe_ids',
  'options.max_tokens',
  'options.strength',
  'options.layers',
  'options.contrast',
  'options.steps',
  'options.rank',
  'options.lr',
  'options.teacher',
]);

function usable(choice: PersonalityChoice): boolean {
  return choice.current_version?.status === 'ready';
}

interface ApplyPersonalityDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  version: ModelVersion;
  onApplied: (application: PersonalityApplication) => void;
}

export function ApplyPersonalityDialog({
  open,
  onOpenChange,
  version,
  onApplied,
}: ApplyPersonalityDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Apply a personality"
      description={`Makes a new version of ${version.model_name} from ${version.version} with the personality, then measures it on the evaluation probes.`}
      dismissOnOutsidePress={false}
      data-testid="apply-personality-dialog"
    >
      <ApplyForm version={version} onApplied={onApplied} />
    </Dialog>
  );
}

/** A number typed into an option field, or undefined for an empty one (the server's default). */
function numberOf(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  return Number(raw);
}

function textOf(values: Record<string, unknown>, name: string): string {
  const raw = values[name];
  return typeof raw === 'string' ? raw.trim() : '';
}

/** "2, 5" → [2, 5]; anything that is not a whole number is sent as is, for the server to name. */
function layersOf(text: string): unknown[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

export function buildOptions(
  method: ApplicationMethod,
  values: Record<string, unknown>,
  pickedProbes: readonly number[],
): Record<string, unknown> {
  const options: Record<string, unknown> =
    pickedProbes.length > 0
      ? { probe_ids: [...pickedProbes] }
      : { probes: numberOf(values, 'options.probes') };
  options.max_tokens = numberOf(values, 'options.max_tokens');
  if (method === 'steering') {
    options.strength = numberOf(values, 'options.strength');
    const layers = textOf(values, 'options.layers');
    if (layers) options.layers = layersOf(layers);
    const contrast = textOf(values, 'options.contrast');
    if (contrast) options.contrast = contrast;
  }
  if (method === 'lora') {
    options.steps = numberOf(values, 'options.steps');
    options.rank = numberOf(values, 'options.rank');
    options.lr = numberOf(values, 'options.lr');
    const teacher = textOf(values, 'options.teacher');
    const choice = teacher ? parseModelChoice(teacher) : null;
    if (choice?.kind === 'remote')
      options.teacher = { endpoint_id: choice.endpointId, model: choice.model };
  }
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

function ApplyForm({
  version,
  onApplied,
}: {
  version: ModelVersion;
  onApplied: (application: PersonalityApplication) => void;
}) {
  const choices = usePersonalityChoices();
  const endpoints = useEndpoints();
  const create = useCreatePersonalityApplication(version.id);
  const [method, setMethod] = useState<ApplicationMethod>('steering');
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });
  const [picking, setPicking] = useState(false);
  const [picked, setPicked] = useState<ReadonlySet<number>>(new Set());
  const list = choices.data ?? [];
  const firstUsable = list.find(usable);

  function submit(values: Record<string, unknown>) {
    setErrors((current) => ({ ...current, form: null }));
    const input: ApplicationInput = {
      model_version_id: version.id,
      personality_id: Number(textOf(values, 'personality_id')),
      method,
      options: buildOptions(method, values, picking ? [...picked].sort((a, b) => a - b) : []),
    };
    create.mutate(input, {
      onSuccess: onApplied,
      onError: (error) => setErrors(submitErrors(error, SHOWN)),
    });
  }

  if (choices.isPending) {
    return (
      <p role="status" className={muted.small}>
        Loading personalities…
      </p>
    );
  }
  if (choices.isError)
    return <FormError>Could not load personalities. {choices.error.message}</FormError>;

  const explain = METHODS.find((item) => item.value === method)?.explain;
  return (
    <Form errors={errors.fields} onFormSubmit={submit} aria-label="Apply a personality">
      <SelectField
        name="personality_id"
        label="Personality"
        required
        defaultValue={firstUsable ? String(firstUsable.id) : ''}
        options={list.map((choice) => ({
          value: String(choice.id),
          label: `${choice.builtin ? choice.name : `${choice.name} (yours)`}${usable(choice) ? '' : `, ${choice.current_version?.status ?? 'no version'}`}`,
          disabled: !usable(choice),
        }))}
      />
      <SelectField
        name="method"
        label="Method"
        value={method}
        onValueChange={(value) => setMethod(value as ApplicationMethod)}
        options={METHODS.map(({ value, label }) => ({ value, label }))}
        description={explain}
      />

      <fieldset className={stack.fieldset}>
        <legend className={field.label}>Evaluation</legend>
        <div className={styles.optionRow}>
          {!picking && (
            <TextField
              name="options.probes"
              label="Probes"
              type="number"
              min={1}
              max={61}
              defaultValue={String(DEFAULT_PROBES)}
              description="Spread over every category; fewer runs sooner."
            />
          )}
          <TextField
            name="options.max_tokens"
            label="Answer tokens"
            type="number"
            min={1}
            defaultValue={String(DEFAULT_MAX_TOKENS)}
          />
        </div>
        <label className={styles.checkbox}>
          <input
            type="checkbox"
            checked={picking}
            onChange={(event) => setPicking(event.target.checked)}
          />
          <span>Pick the probes</span>
        </label>
        {picking && <ProbePicker picked={picked} onChange={setPicked} />}
        {errors.fields['options.probe_ids'] && (
          <FormError>{errors.fields['options.probe_ids'].join(' ')}</FormError>
        )}
      </fieldset>

      {method === 'steering' && (
        <fieldset className={stack.fieldset}>
          <legend className={field.label}>Steering</legend>
          <div className={styles.optionRow}>
            <TextField
              name="options.strength"
              label="Strength"
              type="number"
              step="any"
              placeholder="the personality’s"
              description="Above 0, at most 1."
            />
            <TextField
              name="options.layers"
              label="Layers"
              placeholder="e.g. 2, 3"
              description="Block numbers; empty picks the middle ones."
            />
            <SelectField
              name="options.contrast"
              label="Contrast"
              defaultValue=""
              options={[
                { value: '', label: 'Default' },
                { value: 'scored', label: 'Scored answers' },
                { value: 'answer', label: 'Answers' },
                { value: 'prompt', label: 'Prompts' },
              ]}
            />
          </div>
        </fieldset>
      )}
      {method === 'lora' && (
        <fieldset className={stack.fieldset}>
          <legend className={field.label}>Persona LoRA</legend>
          <div className={styles.optionRow}>
            <TextField
              name="options.steps"
              label="Steps"
              type="number"
              min={1}
              defaultValue="200"
            />
            <TextField name="options.rank" label="Rank" type="number" min={1} defaultValue="8" />
            <TextField
              name="options.lr"
              label="Learning rate"
              type="number"
              step="any"
              defaultValue="0.001"
            />
          </div>
          <SelectField
            name="options.teacher"
            label="Teacher"
            defaultValue=""
            options={[
              { value: '', label: 'The model itself' },
              ...remoteModelOptions(endpoints.data?.results),
            ]}
            description="Who writes the in-persona answers the LoRA learns from: the model, or a (larger) model of one of your endpoints."
          />
        </fieldset>
      )}

      {errors.form && <FormError>{errors.form}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button
          type="submit"
          variant="primary"
          disabled={create.isPending || !firstUsable || (picking && picked.size === 0)}
        >
          {create.isPending ? 'Starting…' : 'Apply'}
        </Button>
      </DialogActions>
    </Form>
  );
}

function ProbePicker({
  picked,
  onChange,
}: {
  picked: ReadonlySet<number>;
  onChange: (picked: ReadonlySet<number>) => void;
}) {
  const probes = useProbes();
  if (probes.isPending) {
    return (
      <p role="status" className={muted.small}>
        Loading probes…
      </p>
    );
  }
  if (probes.isError)
    return <FormError>Could not load the probes. {probes.error.message}</FormError>;
  return (
    <div className={styles.probeList} data-testid="probe-picker">
      <p className={muted.small}>{picked.size} picked</p>
      {probes.data.map((probe) => (
        <label key={probe.id} className={styles.checkbox}>
          <input
            type="checkbox"
            name="probe"
            value={probe.id}
            checked={picked.has(probe.id)}
            onChange={(event) => {
              const next = new Set(picked);
              if (event.target.checked) next.add(probe.id);
              else next.delete(probe.id);
              onChange(next);
            }}
          />
          <span>
            <span className={muted.small}>{probe.category}</span> {probe.prompt}
          </span>
        </label>
      ))}
    </div>
  );
}
