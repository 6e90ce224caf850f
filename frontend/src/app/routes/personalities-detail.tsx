/** One personality's page: `/personalities/:personalityId`. */
import { useParams } from 'react-router';

import { PersonalityPage } from '../../features/personalities/components/personality-page';
import { NotFoundRoute } from './not-found';

export function PersonalityDetailRoute() {
  const personalityId = Number(useParams().personalityId);
  if (!Number.isInteger(personalityId) || personalityId <= 0) return <NotFoundRoute />;
  // Keyed, so moving to another personality starts from clean scores and a fresh socket.
  return <PersonalityPage key={personalityId} personalityId={personalityId} />;
}
