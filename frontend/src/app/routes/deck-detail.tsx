/** One deck's page: `/decks/:deckId`. */
import { useParams } from 'react-router';

import { DeckPage } from '../../features/cards/components/deck-page';
import { NotFoundRoute } from './not-found';

export function DeckDetailRoute() {
  const deckId = Number(useParams().deckId);
  if (!Number.isInteger(deckId) || deckId <= 0) return <NotFoundRoute />;
  return <DeckPage key={deckId} deckId={deckId} />;
}
