/** Decks page: `/decks`. */
import { DecksPage } from '../../features/cards/components/decks-page';

export function DecksRoute() {
  return <DecksPage />;
}
