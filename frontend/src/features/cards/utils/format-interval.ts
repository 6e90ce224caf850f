/** How long until a card is due again, as the grade buttons show it: "10 min", "3 d", "2 mo". */
import { formatDuration } from '../../../lib/format-duration';

const HOUR = 3600;
const DAY = 24 * HOUR;

export function formatInterval(seconds: number): string {
  if (seconds < DAY) return formatDuration(Math.max(seconds, 60));
  const days = seconds / DAY;
  if (days < 30) return `${Math.round(days)} d`;
  if (days < 365) return `${Math.round(days / 30)} mo`;
  return `${(days / 365).toFixed(1)} y`;
}
