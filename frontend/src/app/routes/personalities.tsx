/** Personalities page. */
import { PersonalitiesPage } from '../../features/personalities/components/personalities-page';

export function PersonalitiesRoute() {
  return <PersonalitiesPage />;
}
