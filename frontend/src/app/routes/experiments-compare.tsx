/** Runs compared side by side: `/experiments/compare?ids=1,2,3`. */
import { useSearchParams } from 'react-router';

import { CompareView } from '../../features/experiments/components/compare-view';

export function ExperimentsCompareRoute() {
  const [params] = useSearchParams();
  const ids = (params.get('ids') ?? '')
    .split(',')
    .map(Number)
    .filter((id) => Number.isInteger(id) && id > 0);
  return <CompareView ids={ids} />;
}
