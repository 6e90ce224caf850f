/** The status of an application or evaluation (queued, running, ready, failed), with progress. */
import { Badge, type BadgeTone } from '../../../components/ui/badge';

const tones: Record<string, BadgeTone> = {
  queued: 'neutral',
  running: 'info',
  ready: 'success',
  failed: 'danger',
};

export function JobStatusBadge({
  status = 'queued',
  progress = 0,
}: {
  status?: string;
  progress?: number;
}) {
  const running = status === 'running';
  return (
    <Badge tone={tones[status] ?? 'neutral'} live={running} data-testid="job-status">
      {running ? `running ${Math.round(progress * 100)}%` : status}
    </Badge>
  );
}
