/** Datasets page. */
import { DatasetsPage } from '../../features/datasets/components/datasets-page';

export function DatasetsRoute() {
  return <DatasetsPage />;
}
