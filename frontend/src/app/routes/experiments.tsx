/** Experiments page. */
import { ExperimentsPage } from '../../features/experiments/components/experiments-page';

export function ExperimentsRoute() {
  return <ExperimentsPage />;
}
