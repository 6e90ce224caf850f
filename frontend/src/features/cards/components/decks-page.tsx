/**
 * The Decks page: the user's decks with their card and due counts, a new deck, an Anki `.apkg`
 * imported as a new deck (refused files say why, and nothing of them is kept), and review.
 */
import { type ChangeEvent, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';

import { CreateNamedDialog } from '../../../components/create-named-dialog';
import { EmptyState } from '../../../components/empty-state';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { useToast } from '../../../components/ui/toast';
import { ApiError } from '../../../lib/api-client';
import { useCreateDeck } from '../api/create-deck';
import { useDecks } from '../api/get-decks';
import { useImportDeck } from '../api/import-deck';

export function DecksPage() {
  const decks = useDecks();
  const importDeck = useImportDeck();
  const navigate = useNavigate();
  const toast = useToast();
  const [createOpen, setCreateOpen] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const list = decks.data?.results ?? [];

  function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    importDeck.mutate(file, {
      onSuccess: (deck) => {
        toast.add({ title: `Imported “${deck.name}”`, description: `${deck.card_count} cards.` });
        void navigate(`/decks/${deck.id}`);
      },
    });
  }

  const newDeck = (
    <Button variant="primary" onClick={() => setCreateOpen(true)}>
      New deck
    </Button>
  );
  const actions = (
    <>
      <Link to="/review">Review all</Link>
      <Link to="/review/stats">Statistics</Link>
      <Button onClick={() => fileInput.current?.click()} disabled={importDeck.isPending}>
        {importDeck.isPending ? 'Importing…' : 'Import Anki deck'}
      </Button>
      <input
        ref={fileInput}
        type="file"
        accept=".apkg"
        hidden
        aria-label="Anki deck file"
        data-testid="apkg-input"
        onChange={onFile}
      />
      {newDeck}
    </>
  );

  return (
    <Page
      title="Decks"
      lead="Cards to learn your documents and conversations, scheduled for review with FSRS."
      actions={actions}
    >
      {importDeck.error && (
        <FormError>
          The deck was not imported:{' '}
          {(importDeck.error instanceof ApiError && importDeck.error.fieldMessage('file')) ||
            importDeck.error.message}
        </FormError>
      )}
      <QueryState
        query={decks}
        loading="Loading decks…"
        failure="Could not load your decks."
        isEmpty={list.length === 0}
        empty={
          <EmptyState
            title="No decks yet"
            description="Create a deck, then add cards by hand or generate them from a document or a conversation."
            action={newDeck}
            data-testid="decks-empty"
          />
        }
      >
        <div className={table.wrap}>
          <table className={table.table}>
            <thead>
              <tr>
                <th>Deck</th>
                <th>Cards</th>
                <th>Due now</th>
                <th>
                  <span className="visually-hidden">Review</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((deck) => (
                <tr key={deck.id} data-testid="deck-row">
                  <td>
                    <Link to={`/decks/${deck.id}`}>{deck.name}</Link>
                  </td>
                  <td>{deck.card_count}</td>
                  <td>{deck.due_count}</td>
                  <td>
                    {deck.due_count > 0 && <Link to={`/decks/${deck.id}/review`}>Review</Link>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </QueryState>
      <CreateNamedDialog
        open={createOpen}
        onOpenChange={setCreateOpen}
        onCreated={(deck: { id: number }) => {
          setCreateOpen(false);
          void navigate(`/decks/${deck.id}`);
        }}
        title="New deck"
        description="A deck holds cards you review together."
        namePlaceholder="Physics facts"
        descriptionHint="Optional: what the deck is for."
        submitLabel="Create deck"
        useCreate={useCreateDeck}
      />
    </Page>
  );
}
