/** The whole site's usage (`/monitoring`), for staff; others are told it is not theirs to see. */
import { Page } from '../../../components/page';
import { useMe } from '../../../lib/api/get-me';
import { MonitoringCharts } from './monitoring-charts';

export function SiteMonitoringPage() {
  const me = useMe();
  return (
    <Page title="Site monitoring" lead="Every model version's traffic together, for staff.">
      {me.data?.is_staff ? (
        <MonitoringCharts versionId={null} />
      ) : (
        me.data && <p>Only staff can see the whole site's usage.</p>
      )}
    </Page>
  );
}
