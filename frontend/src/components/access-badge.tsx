/** A badge beside an object that is not your own private one, saying how you reach it. */
import { accessLabel } from '../lib/access-role';
import { Badge } from './ui/badge';

export function AccessBadge({ accessRole }: { accessRole: string | undefined }) {
  if (accessRole === undefined || accessRole === 'owner') return null;
  return (
    <Badge tone="info" data-testid="access-badge">
      {accessLabel(accessRole)}
    </Badge>
  );
}
