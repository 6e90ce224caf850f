/** How far a training run is: a bar with "step N of M", the percentage and the time left. */
import { ProgressBar } from '../../../components/ui/progress-bar';
import type { TrainingStatus } from '../api/get-training-runs';
import { formatDuration } from '../utils/format-duration';

interface TrainingProgressProps {
  step: number;
  maxSteps: number;
  etaSeconds: number | null;
  status: TrainingStatus;
  'data-testid'?: string;
}

export function TrainingProgress({
  step,
  maxSteps,
  etaSeconds,
  status,
  'data-testid': testId,
}: TrainingProgressProps) {
  const percent = maxSteps > 0 ? Math.min(100, Math.floor((step / maxSteps) * 100)) : 0;
  const eta =
    status === 'running' && etaSeconds !== null ? ` · ${formatDuration(etaSeconds)} left` : '';
  const text = `Step ${step.toLocaleString()} of ${maxSteps.toLocaleString()} · ${percent}%${eta}`;
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
