/** One recipe run's report: `/recipe-runs/:runId`. */
import { useParams } from 'react-router';

import { RunReportPage } from '../../features/recipes/components/run-report-page';
import { NotFoundRoute } from './not-found';

export function RecipeRunRoute() {
  const runId = Number(useParams().runId);
  if (!Number.isInteger(runId) || runId <= 0) return <NotFoundRoute />;
  return <RunReportPage key={runId} runId={runId} />;
}
