/**
 * One deck: review it, export it as an Anki `.apkg`, delete it; add cards by hand or generate
 * them from a document or a conversation; and its cards with when each is next due.
 */
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';

import linkButton from '../../../components/link-button.module.css';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import stack from '../../../components/stack.module.css';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { ConfirmDialog } from '../../../components/ui/dialog';
import { formatDateTime } from '../../../lib/format';
import { useDeleteCard } from '../api/delete-card';
import { useDeleteDeck } from '../api/delete-deck';
import { useDeckCards } from '../api/get-cards';
import { useDeck } from '../api/get-deck';
import { deckExportUrl } from '../api/import-deck';
import { AddCardForm } from './add-card-form';
import styles from './cards.module.css';
import { GenerateCardsForm } from './generate-cards-form';

export function DeckPage({ deckId }: { deckId: number }) {
  const deck = useDeck(deckId);
  const cards = useDeckCards(deckId);
  const deleteDeck = useDeleteDeck();
  const deleteCard = useDeleteCard();
  const navigate = useNavigate();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const list = cards.data?.results ?? [];
  const data = deck.data;

  const actions = data && (
    <>
      <Link to={`/decks/${deckId}/review`} className={linkButton.linkButton}>
        Review ({data.due_count} due)
      </Link>
      <a href={deckExportUrl(deckId)} download className={linkButton.linkButton}>
        Export .apkg
      </a>
      <Button variant="ghost" onClick={() => setConfirmDelete(true)}>
        Delete deck
      </Button>
    </>
  );

  return (
    <Page title={data ? data.name : 'Deck'} lead={data?.description || undefined} actions={actions}>
      <QueryState query={deck} loading="Loading the deck…" failure="Could not load the deck.">
        <div className={styles.forms}>
          <AddCardForm deckId={deckId} />
          <GenerateCardsForm deckId={deckId} />
        </div>
        <section className={stack.stack} aria-labelledby="cards-title">
          <h2 id="cards-title">Cards</h2>
          <QueryState
            query={cards}
            loading="Loading cards…"
            failure="Could not load the cards."
            isEmpty={list.length === 0}
            empty={
              <p className={muted.small} data-testid="cards-empty">
                No cards yet.
              </p>
            }
          >
            <div className={table.wrap}>
              <table className={table.table}>
                <thead>
                  <tr>
                    <th>Front</th>
                    <th>Back</th>
                    <th>Due</th>
                    <th>
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((item) => (
                    <tr key={item.id} data-testid="card-row">
                      <td className={styles.cardText}>{item.front}</td>
                      <td className={styles.cardText}>{item.back}</td>
                      <td>
                        <time dateTime={item.due}>{formatDateTime(item.due)}</time>
                      </td>
                      <td>
                        <Button
                          size="small"
                          variant="ghost"
                          disabled={deleteCard.isPending}
                          onClick={() => deleteCard.mutate(item.id)}
                          aria-label={`Delete card “${item.front}”`}
                        >
                          Delete
                        </Button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </QueryState>
        </section>
      </QueryState>
      <ConfirmDialog
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        title={`Delete “${data?.name ?? ''}”?`}
        description={`Its ${data?.card_count ?? 0} cards and their review history are removed.`}
        confirmLabel="Delete deck"
        pending={deleteDeck.isPending}
        error={deleteDeck.error?.message}
        onConfirm={() =>
          deleteDeck.mutate(deckId, { onSuccess: () => void navigate('/decks', { replace: true }) })
        }
      />
    </Page>
  );
}
