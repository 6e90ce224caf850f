/** One run's live page: `/experiments/runs/:runId`, with the training feature's Cancel and
 * Resume for a training run, what a fine-tune started from, and what its data lost to the context. */
import { useParams } from 'react-router';

import { RunPage } from '../../features/experiments/components/run-page';
import { DataFitNote } from '../../features/training/components/data-fit-note';
import { FineTuneSummary } from '../../features/training/components/fine-tune-summary';
import { RunControls } from '../../features/training/components/run-controls';
import { NotFoundRoute } from './not-found';

export function ExperimentRunRoute() {
  const runId = Number(useParams().runId);
  if (!Number.isInteger(runId) || runId <= 0) return <NotFoundRoute />;
  // Keyed, so moving to another run starts from a clean socket and empty curves.
  return (
    <RunPage
      key={runId}
      runId={runId}
      controls={(training) => (
        <>
          <FineTuneSummary training={training} />
          <DataFitNote training={training} />
          <RunControls training={training} />
        </>
      )}
    />
  );
}
