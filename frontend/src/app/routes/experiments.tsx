/** Experiments page, with the training feature's dialog to start a run. */
import { ExperimentsPage } from '../../features/experiments/components/experiments-page';
import { NewTrainingRunDialog } from '../../features/training/components/new-training-run-dialog';

export function ExperimentsRoute() {
  return <ExperimentsPage newTrainingRun={(props) => <NewTrainingRunDialog {...props} />} />;
}
