/** A personality's kind, whether it is built in, and its current version's training status. */
import { Badge, type BadgeTone } from '../../../components/ui/badge';
import type { PersonalityKind, PersonalityVersion } from '../api/get-personality';

const kindTones: Record<PersonalityKind, BadgeTone> = {
  config: 'neutral',
  learned: 'info',
  neural: 'warning',
};

export function KindBadge({ kind }: { kind: PersonalityKind }) {
  return (
    <Badge tone={kindTones[kind]} data-testid="kind-badge">
      {kind}
    </Badge>
  );
}

/** Nothing for a ready version: only what is still changing, or went wrong, is worth a mark. */
export function TrainingBadge({ version }: { version: PersonalityVersion | null }) {
  if (version === null || version.status === 'ready') return null;
  if (version.status === 'failed') {
    return (
      <Badge tone="danger" data-testid="personality-status">
        failed
      </Badge>
    );
  }
  return (
    <Badge tone="info" live data-testid="personality-status">
      training {Math.round(version.progress * 100)}%
    </Badge>
  );
}
