/**
 * A model's personality gate: the personality its production version must keep (its current
 * version is the target) with a minimum alignment and a maximum drop from the version in
 * production now. The current setting is stated above the form; choosing no personality
 * clears the gate. Server messages show under the field they name.
 */
import { useState } from 'react';

import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { useToast } from '../../../components/ui/toast';
import { allows } from '../../../lib/access-actions';
import type { RegisteredModel } from '../../../lib/api/get-models';
import { usePersonalityChoices } from '../../../lib/api/get-personality-choices';
import { formatScore } from '../../../lib/format';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import { type ModelUpdateInput, useUpdateModel } from '../api/update-model';
import styles from './models.module.css';

const NO_GATE = '';
const SHOWN = new Set(['target_personality_version_id', 'min_alignment', 'max_alignment_drift']);

/** The gate as a sentence, for the line above the form. */
export function gateSummary(model: RegisteredModel): string {
  if (model.target_personality_version == null) {
    return 'No personality gate: any version may be moved to production.';
  }
  const limits = [
    model.min_alignment != null && `alignment at least ${formatScore(model.min_alignment, 2)}`,
    model.max_alignment_drift != null &&
      `no more than ${formatScore(model.max_alignment_drift, 2)} below production's`,
  ].filter(Boolean);
  return `Production needs ${model.target_personality_name ?? 'its personality'} with ${limits.join(' and ')}.`;
}

function numberOrNull(raw: unknown): number | null {
  return typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : null;
}

/** The gate decides what may reach production, so only those who may promote change it. */
export function PersonalityGate({ model }: { model: RegisteredModel }) {
  if (!allows(model.access_role, 'promote')) {
    return (
      <p className={muted.small} data-testid="personality-gate-current">
        {gateSummary(model)}
      </p>
    );
  }
  return <PersonalityGateForm model={model} />;
}

function PersonalityGateForm({ model }: { model: RegisteredModel }) {
  const choices = usePersonalityChoices();
  const update = useUpdateModel(model.id);
  const toast = useToast();
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });
  const [personalityId, setPersonalityId] = useState(
    model.target_personality == null ? NO_GATE : String(model.target_personality),
  );
  const list = choices.data ?? [];
  const chosen = list.find((choice) => String(choice.id) === personalityId);
  const targetMoved =
    chosen?.current_version != null &&
    model.target_personality_version != null &&
    chosen.id === model.target_personality &&
    chosen.current_version.id !== model.target_personality_version;

  function submit(values: Record<string, unknown>) {
    setErrors((current) => ({ ...current, form: null }));
    const input: ModelUpdateInput =
      personalityId === NO_GATE
        ? { target_personality_version_id: null }
        : {
            target_personality_version_id: chosen?.current_version?.id ?? null,
            min_alignment: numberOrNull(values.min_alignment),
            max_alignment_drift: numberOrNull(values.max_alignment_drift),
          };
    update.mutate(input, {
      onSuccess: (updated) => {
        setErrors({ fields: {}, form: null });
        toast.add({ title: 'Personality gate saved', description: gateSummary(updated) });
      },
      onError: (error) => setErrors(submitErrors(error, SHOWN)),
    });
  }

  return (
    <div className={`${stack.stack} ${styles.shrink}`} data-testid="personality-gate">
      <p className={muted.small} data-testid="personality-gate-current">
        {gateSummary(model)}
      </p>
      <Form errors={errors.fields} onFormSubmit={submit} aria-label="Personality gate">
        <SelectField
          name="target_personality_version_id"
          label="Target personality"
          value={personalityId}
          onValueChange={setPersonalityId}
          disabled={choices.isPending}
          options={[
            { value: NO_GATE, label: 'None (no gate)' },
            ...list.map((choice) => ({
              value: String(choice.id),
              label: choice.builtin ? choice.name : `${choice.name} (yours)`,
              disabled: choice.current_version?.status !== 'ready',
            })),
          ]}
          description={
            targetMoved
              ? 'The gate targets an older version of it; saving moves it to the newest.'
              : undefined
          }
        />
        {personalityId !== NO_GATE && (
          <div className={styles.optionRow}>
            <TextField
              name="min_alignment"
              label="Minimum alignment"
              type="number"
              step="any"
              min={0}
              max={1}
              defaultValue={model.min_alignment == null ? '0.5' : String(model.min_alignment)}
              description="0 to 1: the evaluated alignment a version needs."
            />
            <TextField
              name="max_alignment_drift"
              label="Maximum drift"
              type="number"
              step="any"
              min={0}
              max={1}
              defaultValue={
                model.max_alignment_drift == null ? '' : String(model.max_alignment_drift)
              }
              placeholder="no limit"
              description="How far below production’s alignment it may fall."
            />
          </div>
        )}
        {choices.isError && (
          <FormError>Could not load personalities. {choices.error.message}</FormError>
        )}
        {errors.form && <FormError>{errors.form}</FormError>}
        <div>
          <Button type="submit" disabled={update.isPending || choices.isPending}>
            {update.isPending ? 'Saving…' : 'Save gate'}
          </Button>
        </div>
      </Form>
    </div>
  );
}
