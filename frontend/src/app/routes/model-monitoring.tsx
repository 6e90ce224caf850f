/** A model version's monitoring: `/models/versions/:versionId/monitoring`. */
import { useParams } from 'react-router';

import { ModelMonitoringPage } from '../../features/monitoring/components/model-monitoring-page';
import { NotFoundRoute } from './not-found';

export function ModelMonitoringRoute() {
  const versionId = Number(useParams().versionId);
  if (!Number.isInteger(versionId) || versionId <= 0) return <NotFoundRoute />;
  return <ModelMonitoringPage key={versionId} versionId={versionId} />;
}
