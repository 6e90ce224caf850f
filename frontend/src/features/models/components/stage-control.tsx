/**
 * Moving a version between stages (development, staging, production, archived) with a note,
 * and the history of those moves: who, when, from and to, and what the personality gate
 * measured. Promoting to production archives the version that was there, which the history of
 * that version then shows. A promotion the gate refuses says why (the measured alignment
 * against the threshold, the evaluation) or, while the evaluation it needs runs, shows that
 * evaluation's progress; staff may override the gate with a note.
 */
import { useState } from 'react';

import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { ProgressBar } from '../../../components/ui/progress-bar';
import { SelectField } from '../../../components/ui/select-field';
import { useToast } from '../../../components/ui/toast';
import { allows } from '../../../lib/access-actions';
import { ApiError } from '../../../lib/api-client';
import { useMe } from '../../../lib/api/get-me';
import type { ModelStage, ModelVersion } from '../../../lib/api/get-model-versions';
import { formatDateTime, formatScore } from '../../../lib/format';
import { useGateEvaluations } from '../api/get-gate-evaluations';
import { isRunning } from '../api/get-personality-applications';
import { useSetStage, useStageHistory } from '../api/stage';
import { type GateRecord, readGate } from '../utils/personality-report';
import styles from './models.module.css';

export const GATE_FAILED = 'personality_gate_failed';
export const GATE_RUNNING = 'personality_evaluation_running';

const STAGES: readonly { value: ModelStage; label: string }[] = [
  { value: 'development', label: 'Development' },
  { value: 'staging', label: 'Staging' },
  { value: 'production', label: 'Production' },
  { value: 'archived', label: 'Archived' },
];

/**
 * Moving between the other stages needs edit access; into or out of production, the right to
 * promote (a team admin or owner, or the owner of a private model).
 */
export function mayChangeStage(version: ModelVersion): boolean {
  if (version.stage === 'production') return allows(version.access_role, 'promote');
  return allows(version.access_role, 'edit');
}

export function StageControl({ version }: { version: ModelVersion }) {
  const setStage = useSetStage(version.id);
  const toast = useToast();
  const [stage, setStageChoice] = useState<ModelStage>(version.stage);
  const [note, setNote] = useState('');
  const [override, setOverride] = useState(false);
  const me = useMe();
  const staff = me.data?.is_staff === true;
  const toProduction = stage === 'production';
  const overriding = staff && toProduction && override;
  const options = STAGES.map((option) => ({
    ...option,
    // Only a ready version can serve, and only those who may promote put it there; the server
    // refuses both too, this just says so sooner.
    disabled:
      option.value === 'production' &&
      (version.status !== 'ready' || !allows(version.access_role, 'promote')),
  }));

  function submit() {
    setStage.mutate(
      { stage, note, override: overriding },
      {
        onSuccess: (updated) => {
          toast.add({
            title: `${updated.model_name} ${updated.version} is now in ${updated.stage}`,
          });
          setNote('');
          setOverride(false);
        },
      },
    );
  }

  return (
    <div className={styles.stageControl} data-testid="stage-control">
      <SelectField
        name="stage"
        label="Stage"
        value={stage}
        onValueChange={(value) => setStageChoice(value as ModelStage)}
        options={options}
      />
      <label className={field.field}>
        <span className={field.label}>Note</span>
        <input
          className={field.input}
          value={note}
          maxLength={500}
          placeholder={
            overriding ? 'Why the gate is overridden (required)' : 'Why, for the history'
          }
          required={overriding}
          onChange={(event) => setNote(event.target.value)}
        />
      </label>
      {staff && toProduction && (
        <label className={styles.checkbox}>
          <input
            type="checkbox"
            checked={override}
            onChange={(event) => setOverride(event.target.checked)}
          />
          <span>
            Override the personality gate{' '}
            <span className={muted.small}>(staff; the note is kept in the history)</span>
          </span>
        </label>
      )}
      <Button
        variant="primary"
        disabled={
          stage === version.stage || setStage.isPending || (overriding && note.trim() === '')
        }
        onClick={submit}
      >
        {setStage.isPending ? 'Saving…' : 'Change stage'}
      </Button>
      {setStage.error && <StageError error={setStage.error} versionId={version.id} />}
    </div>
  );
}

export function StageHistory({ versionId }: { versionId: number }) {
  const history = useStageHistory(versionId);
  if (history.isPending) {
    return (
      <p role="status" className={muted.small}>
        Loading stage history…
      </p>
    );
  }
  if (history.isError) {
    return <p className={styles.errorText}>Could not load the history. {history.error.message}</p>;
  }
  if (history.data.length === 0) {
    return (
      <p className={muted.small} data-testid="stage-history-empty">
        Still in its first stage; moves will be listed here.
      </p>
    );
  }
  return (
    <ol className={`${stack.list} ${styles.history}`} data-testid="stage-history">
      {history.data.map((transition, index) => (
        <li key={`${transition.at}:${index}`}>
          <span>
            <strong>{transition.from_stage}</strong> → <strong>{transition.to_stage}</strong>
          </span>
          <span className={muted.small}>
            {transition.user ?? 'someone'} ·{' '}
            <time dateTime={transition.at}>{formatDateTime(transition.at)}</time>
          </span>
          {transition.note && <span className={styles.note}>“{transition.note}”</span>}
          <GateLine gate={readGate(transition.gate)} />
        </li>
      ))}
    </ol>
  );
}

/**
 * A gate refusal's parts. The server says "<what was refused>: <reason>; <reason> (evaluation
 * N); staff may override with a note"; the override hint is left out, since only staff see
 * the checkbox.
 */
export function readRefusal(message: string): {
  head: string;
  reasons: string[];
  evaluation: string | null;
} {
  const [head = message, ...rest] = message.split(': ');
  const body = rest.join(': ');
  const tail = /\s*\(evaluation (\d+)\)(?:;.*)?$/.exec(body);
  const reasons = (tail ? body.slice(0, tail.index) : body).split('; ').filter(Boolean);
  return { head, reasons, evaluation: tail?.[1] ?? null };
}

/** Why a stage change failed; a gate refusal with what it measured, one in wait with progress. */
export function StageError({ error, versionId }: { error: Error; versionId: number }) {
  const code = error instanceof ApiError ? error.code : '';
  if (code === GATE_FAILED) {
    const refusal = readRefusal(error.message);
    return (
      <div role="alert" className={styles.refusal} data-testid="gate-refusal">
        <strong>Refused by the personality gate</strong>
        <span className={muted.small}>{refusal.head}</span>
        <ul>
          {refusal.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
        {refusal.evaluation && (
          <span className={muted.small}>Measured by evaluation {refusal.evaluation}.</span>
        )}
      </div>
    );
  }
  if (code === GATE_RUNNING) return <GateRunning message={error.message} versionId={versionId} />;
  return <FormError>{error.message}</FormError>;
}

function GateRunning({ message, versionId }: { message: string; versionId: number }) {
  const evaluations = useGateEvaluations(versionId, { enabled: true });
  const running = (evaluations.data ?? []).find(isRunning);
  const finished = evaluations.data !== undefined && running === undefined;
  return (
    <div role="status" className={styles.refusal} data-testid="gate-running">
      <strong>
        {finished
          ? 'The evaluation finished: change the stage again to apply the gate.'
          : 'Evaluation running — try again when it finishes'}
      </strong>
      <span className={muted.small}>{message}</span>
      {running && (
        <ProgressBar
          value={running.status === 'queued' ? null : Math.round((running.progress ?? 0) * 100)}
          label={`Evaluation ${running.id} against ${running.personality_name}`}
          valueText={
            running.status === 'queued'
              ? 'waiting for a worker'
              : `${Math.round((running.progress ?? 0) * 100)}%`
          }
        />
      )}
    </div>
  );
}

function GateLine({ gate }: { gate: GateRecord | null }) {
  if (gate === null) return null;
  const measured =
    gate.alignment === null
      ? ''
      : ` · alignment ${formatScore(gate.alignment)}${gate.minAlignment === null ? '' : ` (min ${formatScore(gate.minAlignment)})`}`;
  const drop =
    gate.alignmentDrop === null
      ? ''
      : ` · ${formatScore(gate.alignmentDrop)} below production${gate.maxDrift === null ? '' : ` (max ${formatScore(gate.maxDrift)})`}`;
  const verdict = gate.overridden
    ? 'Personality gate overridden'
    : gate.passed
      ? 'Personality gate passed'
      : 'Personality gate failed';
  return (
    <span className={muted.small} data-testid="stage-history-gate">
      {verdict}
      {measured}
      {drop}
      {gate.evaluation === null ? '' : ` · evaluation ${gate.evaluation}`}
      {gate.overridden && gate.reasons.length > 0 && `: ${gate.reasons.join('; ')}`}
    </span>
  );
}
