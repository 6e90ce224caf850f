/** Arena leaderboard page. */
import { ArenaPage } from '../../features/arena/components/arena-page';

export function ArenaRoute() {
  return <ArenaPage />;
}
