/**
 * A model version's monitoring (`/models/versions/:versionId/monitoring`): its usage charts
 * and its recent requests, each opening its trace. Readable by whoever may read the version.
 */
import { Page } from '../../../components/page';
import section from '../../../components/section.module.css';
import stack from '../../../components/stack.module.css';
import { DriftPanel } from './drift-panel';
import { MonitoringCharts } from './monitoring-charts';
import { TracesTable } from './traces-table';

export function ModelMonitoringPage({ versionId }: { versionId: number }) {
  return (
    <Page
      title={`Monitoring · version #${versionId}`}
      lead="Requests, tokens, latency, errors, feedback and arena results of this model version over time."
    >
      <div className={stack.stack}>
        <MonitoringCharts versionId={versionId} />
        <DriftPanel versionId={versionId} />
        <section aria-labelledby="recent-title" className={stack.stack}>
          <h2 id="recent-title" className={section.subheading}>
            Recent requests
          </h2>
          <TracesTable versionId={versionId} />
        </section>
      </div>
    </Page>
  );
}
