/** A version's validation status as a coloured badge: validating, valid or invalid. */
import { Badge, type BadgeTone } from '../../../components/ui/badge';
import type { DatasetVersionStatus } from '../../../lib/api/get-dataset-versions';

const tones: Record<DatasetVersionStatus, BadgeTone> = {
  validating: 'info',
  valid: 'success',
  invalid: 'danger',
};

export function VersionStatusBadge({ status }: { status: DatasetVersionStatus }) {
  return (
    <Badge tone={tones[status]} live={status === 'validating'} data-testid="version-status">
      {status}
    </Badge>
  );
}
