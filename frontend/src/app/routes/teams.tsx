/** The Teams page: `/teams`. */
import { TeamsPage } from '../../features/teams/components/teams-page';

export function TeamsRoute() {
  return <TeamsPage />;
}
