/** A run's status as a coloured badge: queued, running, finished, failed or cancelled. */
import type { TrainingStatus } from '../lib/api/get-training-runs';
import { Badge, type BadgeTone } from './ui/badge';

const tones: Record<TrainingStatus, BadgeTone> = {
  queued: 'neutral',
  running: 'info',
  finished: 'success',
  failed: 'danger',
  cancelled: 'warning',
};

export function TrainingStatusBadge({
  status,
  'data-testid': testId,
}: {
  status: TrainingStatus;
  'data-testid'?: string;
}) {
  return (
    <Badge tone={tones[status]} live={status === 'running'} data-testid={testId}>
      {status}
    </Badge>
  );
}
