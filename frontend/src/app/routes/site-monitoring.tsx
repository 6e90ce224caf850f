/** The whole site's monitoring, for staff: `/monitoring`. */
import { SiteMonitoringPage } from '../../features/monitoring/components/site-monitoring-page';

export function SiteMonitoringRoute() {
  return <SiteMonitoringPage />;
}
