/**
 * `POST /api/v1/decks/import/` (multipart, field `file`): an Anki `.apkg` becomes a new deck, all
 * of it or nothing; a refused file comes back with the reason.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { xhrUpload } from '../../../lib/upload';
import { type Deck, decksQueryKey } from './get-decks';

export async function importDeck(file: File): Promise<Deck> {
  const body = new FormData();
  body.append('file', file, file.name);
  const { body: deck } = await xhrUpload<Deck>({
    url: '/api/v1/decks/import/',
    body,
    expectedBytes: file.size,
  });
  return deck;
}

export function useImportDeck() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: importDeck,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: decksQueryKey }),
  });
}

/** Where the browser downloads a deck as an `.apkg` that Anki opens. */
export function deckExportUrl(deckId: number): string {
  return `/api/v1/decks/${deckId}/export/`;
}
