/** A recipe run's status as a badge, and its progress while it runs. */
import { Badge } from '../../../components/ui/badge';
import { ProgressBar } from '../../../components/ui/progress-bar';
import type { RecipeRun } from '../api/types';
import { stepLabel } from '../utils/steps';

const TONES = {
  queued: 'neutral',
  running: 'info',
  succeeded: 'success',
  failed: 'danger',
  cancelled: 'warning',
} as const;

export function RunStatusBadge({ run }: { run: RecipeRun }) {
  return (
    <Badge tone={TONES[run.status]} live={run.status === 'running'} data-testid="run-status">
      {run.status}
    </Badge>
  );
}

/** The running step and how far the run has read its inputs, or nothing once it ended. */
export function RunProgress({ run, steps }: { run: RecipeRun; steps?: readonly string[] }) {
  if (run.status !== 'running' && run.status !== 'queued') return null;
  const progress = run.progress ?? {};
  const fraction = typeof progress.fraction === 'number' ? progress.fraction : null;
  const step = progress.step;
  const stepName =
    typeof step === 'number'
      ? `step ${step + 1} ${steps?.[step] ? stepLabel(steps[step]) : ''}`
      : '';
  const counts =
    typeof progress.records_in === 'number'
      ? ` · ${progress.records_in.toLocaleString()} in, ${(progress.records_out ?? 0).toLocaleString()} out`
      : '';
  return (
    <ProgressBar
      value={fraction === null ? null : Math.round(fraction * 100)}
      label={run.status === 'queued' ? 'Waiting for a worker' : `Running ${stepName}`.trim()}
      valueText={fraction === null ? counts : `${Math.round(fraction * 100)}%${counts}`}
      data-testid="run-progress"
    />
  );
}
