/** Coloured badges for a version's stage, its import status and an export's status. */
import { Badge, type BadgeTone } from '../../../components/ui/badge';
import type {
  ModelExportStatus,
  ModelStage,
  ModelVersionStatus,
} from '../../../lib/api/get-model-versions';

const stageTones: Record<ModelStage, BadgeTone> = {
  development: 'neutral',
  staging: 'info',
  production: 'success',
  archived: 'warning',
};

const statusTones: Record<ModelVersionStatus, BadgeTone> = {
  importing: 'info',
  ready: 'success',
  failed: 'danger',
};

const exportTones: Record<ModelExportStatus, BadgeTone> = {
  queued: 'neutral',
  running: 'info',
  ready: 'success',
  failed: 'danger',
};

export function StageBadge({ stage }: { stage: ModelStage }) {
  return (
    <Badge tone={stageTones[stage]} data-testid="stage-badge">
      {stage}
    </Badge>
  );
}

export function VersionStatusBadge({ status }: { status: ModelVersionStatus }) {
  return (
    <Badge tone={statusTones[status]} live={status === 'importing'} data-testid="model-status">
      {status}
    </Badge>
  );
}

export function ExportStatusBadge({ status }: { status: ModelExportStatus }) {
  return (
    <Badge tone={exportTones[status]} live={status === 'running'} data-testid="export-status">
      {status}
    </Badge>
  );
}
