/**
 * How far a training run is: a bar with "step N of M", the percentage and the time left; a
 * run still waiting for a training slot says how many runs are ahead of it instead.
 */
import type { TrainingStatus } from '../lib/api/get-training-runs';
import { formatDuration } from '../lib/format-duration';
import { queuePositionText } from '../lib/queue-position';
import { ProgressBar } from './ui/progress-bar';

interface TrainingProgressProps {
  step: number;
  maxSteps: number;
  etaSeconds: number | null;
  status: TrainingStatus;
  /** For a queued run: waiting runs that start before it (the API's `runs_ahead`). */
  runsAhead?: number | null;
  'data-testid'?: string;
}

export function TrainingProgress({
  step,
  maxSteps,
  etaSeconds,
  status,
  runsAhead,
  'data-testid': testId,
}: TrainingProgressProps) {
  const percent = maxSteps > 0 ? Math.min(100, Math.floor((step / maxSteps) * 100)) : 0;
  const eta =
    status === 'running' && etaSeconds !== null ? ` · ${formatDuration(etaSeconds)} left` : '';
  const steps = `Step ${step.toLocaleString()} of ${maxSteps.toLocaleString()} · ${percent}%`;
  const text =
    status === 'queued' && runsAhead !== undefined
      ? `${queuePositionText(runsAhead)} · ${steps}`
      : `${steps}${eta}`;
  return (
    <ProgressBar
      label="Progress"
      value={status === 'queued' && step === 0 ? null : Math.min(step, maxSteps)}
      max={Math.max(maxSteps, 1)}
      valueText={text}
      ariaValueText={text}
      tone={status === 'failed' ? 'danger' : status === 'finished' ? 'success' : 'accent'}
      data-testid={testId}
    />
  );
}
