/**
 * Dashboard page, with the models feature's recent versions in its Models card and the cards
 * feature's due count in its Review card.
 */
import { DueCount } from '../../features/cards/components/due-count';
import { DashboardPage } from '../../features/dashboard/components/dashboard-page';
import { RecentModelVersions } from '../../features/models/components/recent-model-versions';

export function DashboardRoute() {
  return (
    <DashboardPage
      recentModels={(limit) => <RecentModelVersions limit={limit} />}
      dueCards={<DueCount />}
    />
  );
}
