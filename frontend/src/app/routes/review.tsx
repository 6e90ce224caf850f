/** The review page: `/review` (every deck) or `/decks/:deckId/review` (one deck). */
import { useParams } from 'react-router';

import { ReviewPage } from '../../features/cards/components/review-page';
import { NotFoundRoute } from './not-found';

export function ReviewRoute() {
  const raw = useParams().deckId;
  const deckId = raw === undefined ? null : Number(raw);
  if (deckId !== null && (!Number.isInteger(deckId) || deckId <= 0)) return <NotFoundRoute />;
  return <ReviewPage key={deckId ?? 'all'} deckId={deckId} />;
}
