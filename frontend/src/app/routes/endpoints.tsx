/** The Endpoints page (`/endpoints`). */
import { EndpointsPage } from '../../features/endpoints/components/endpoints-page';

export function EndpointsRoute() {
  return <EndpointsPage />;
}
