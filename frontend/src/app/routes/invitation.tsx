/** Where an invitation e-mail's link lands: `/invitations/:token`. */
import { useParams } from 'react-router';

import { InvitationPage } from '../../features/teams/components/invitation-page';
import { NotFoundRoute } from './not-found';

export function InvitationRoute() {
  const token = useParams().token ?? '';
  if (!token) return <NotFoundRoute />;
  return <InvitationPage key={token} token={token} />;
}
