/** Datasets page, with the training feature's dialog to train on a dataset and the models
 * feature's list of models trained on a version. */
import { DatasetsPage } from '../../features/datasets/components/datasets-page';
import { DerivedModels } from '../../features/models/components/derived-models';
import { NewTrainingRunDialog } from '../../features/training/components/new-training-run-dialog';

const slots = {
  newTrainingRun: (props: Parameters<typeof NewTrainingRunDialog>[0]) => (
    <NewTrainingRunDialog {...props} />
  ),
  derivedModels: (datasetVersionId: number) => (
    <DerivedModels datasetVersionId={datasetVersionId} />
  ),
};

export function DatasetsRoute() {
  return <DatasetsPage slots={slots} />;
}
