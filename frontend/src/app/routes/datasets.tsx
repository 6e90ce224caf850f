/** Datasets page, with the training feature's dialog to train on a dataset, the models
 * feature's list of models trained on a version, and a version's features and records. */
import { FeaturesTab } from '../../features/dataset-features/components/features-tab';
import { RecordsBrowser } from '../../features/dataset-features/components/records-browser';
import { DatasetsPage } from '../../features/datasets/components/datasets-page';
import type { DatasetSlots } from '../../features/datasets/components/dataset-detail';
import { DerivedModels } from '../../features/models/components/derived-models';
import { NewTrainingRunDialog } from '../../features/training/components/new-training-run-dialog';

const slots: DatasetSlots = {
  newTrainingRun: (props: Parameters<typeof NewTrainingRunDialog>[0]) => (
    <NewTrainingRunDialog {...props} />
  ),
  derivedModels: (datasetVersionId: number) => (
    <DerivedModels datasetVersionId={datasetVersionId} />
  ),
  versionFeatures: (version, versions) => <FeaturesTab version={version} versions={versions} />,
  versionRecords: (version) => <RecordsBrowser key={version.id} versionId={version.id} />,
};

export function DatasetsRoute() {
  return <DatasetsPage slots={slots} />;
}
