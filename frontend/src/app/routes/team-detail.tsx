/** One team's page: `/teams/:teamId`. */
import { useParams } from 'react-router';

import { TeamPage } from '../../features/teams/components/team-page';
import { NotFoundRoute } from './not-found';

export function TeamDetailRoute() {
  const teamId = Number(useParams().teamId);
  if (!Number.isInteger(teamId) || teamId <= 0) return <NotFoundRoute />;
  return <TeamPage key={teamId} teamId={teamId} />;
}
