/** One sweep's page: `/sweeps/:sweepId`. */
import { useParams } from 'react-router';

import { SweepPage } from '../../features/sweeps/components/sweep-page';
import { NotFoundRoute } from './not-found';

export function SweepDetailRoute() {
  const sweepId = Number(useParams().sweepId);
  if (!Number.isInteger(sweepId) || sweepId <= 0) return <NotFoundRoute />;
  return <SweepPage key={sweepId} sweepId={sweepId} />;
}
