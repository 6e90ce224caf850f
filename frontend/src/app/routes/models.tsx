/** Models page, with the training feature's fine-tune dialog for a version's "Fine-tune". */
import { ModelsPage } from '../../features/models/components/models-page';
import { FineTuneDialog } from '../../features/training/components/fine-tune-dialog';

export function ModelsRoute() {
  return <ModelsPage fineTune={(props) => <FineTuneDialog {...props} />} />;
}
