/** A document's embedding status as a badge: pending, processing, ready or failed. */
import { Badge, type BadgeTone } from '../../../components/ui/badge';

const tones: Record<string, BadgeTone> = {
  pending: 'neutral',
  processing: 'info',
  ready: 'success',
  failed: 'danger',
};

export function DocumentStatusBadge({ status }: { status: string }) {
  return (
    <Badge
      tone={tones[status] ?? 'neutral'}
      live={status === 'pending' || status === 'processing'}
      data-testid="document-status"
    >
      {status}
    </Badge>
  );
}
