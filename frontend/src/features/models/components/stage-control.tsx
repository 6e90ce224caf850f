/**
 * Moving a version between stages (development, staging, production, archived) with a note,
 * and the history of those moves: who, when, from and to. Promoting to production archives the
 * version that was there, which the history of that version then shows.
 */
import { useState } from 'react';

import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { useToast } from '../../../components/ui/toast';
import type { ModelStage, ModelVersion } from '../../../lib/api/get-model-versions';
import { formatDateTime } from '../../../lib/format';
import { useSetStage, useStageHistory } from '../api/stage';
import styles from './models.module.css';

const STAGES: readonly { value: ModelStage; label: string }[] = [
  { value: 'development', label: 'Development' },
  { value: 'staging', label: 'Staging' },
  { value: 'production', label: 'Production' },
  { value: 'archived', label: 'Archived' },
];

export function StageControl({ version }: { version: ModelVersion }) {
  const setStage = useSetStage(version.id);
  const toast = useToast();
  const [stage, setStageChoice] = useState<ModelStage>(version.stage);
  const [note, setNote] = useState('');
  const options = STAGES.map((option) => ({
    ...option,
    // Only a ready version can serve; the server refuses it too, this just says so sooner.
    disabled: option.value === 'production' && version.status !== 'ready',
  }));

  function submit() {
    setStage.mutate(
      { stage, note, override: false },
      {
        onSuccess: (updated) => {
          toast.add({
            title: `${updated.model_name} ${updated.version} is now in ${updated.stage}`,
          });
          setNote('');
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
          placeholder="Why, for the history"
          onChange={(event) => setNote(event.target.value)}
        />
      </label>
      <Button
        variant="primary"
        disabled={stage === version.stage || setStage.isPending}
        onClick={submit}
      >
        {setStage.isPending ? 'Saving…' : 'Change stage'}
      </Button>
      {setStage.error && <FormError>{setStage.error.message}</FormError>}
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
        </li>
      ))}
    </ol>
  );
}
