/** Dashboard page, with the models feature's recent versions in its Models card. */
import { DashboardPage } from '../../features/dashboard/components/dashboard-page';
import { RecentModelVersions } from '../../features/models/components/recent-model-versions';

export function DashboardRoute() {
  return <DashboardPage recentModels={(limit) => <RecentModelVersions limit={limit} />} />;
}
