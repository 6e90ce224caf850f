/** The Sweeps page (`/sweeps`, optionally `?experiment=ID`). */
import { SweepsPage } from '../../features/sweeps/components/sweeps-page';

export function SweepsRoute() {
  return <SweepsPage />;
}
