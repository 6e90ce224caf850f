/**
 * The review page (`/review`, or one deck's at `/decks/:id/review`): the due card's front; Space
 * (or "Show answer") shows its back; 1-4 (or the buttons) grade it Again/Hard/Good/Easy, each
 * button saying when the card would come back. A card graded in another tab is reloaded with a
 * notice; a failed grade can be resent safely.
 */
import { useEffect } from 'react';
import { Link } from 'react-router';

import { EmptyState } from '../../../components/empty-state';
import { FormError } from '../../../components/ui/form';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import { Button } from '../../../components/ui/button';
import { useDeck } from '../api/get-deck';
import type { DueCard } from '../api/get-due-cards';
import { useReviewSession } from '../hooks/use-review-session';
import { clozeSides } from '../utils/cloze';
import { formatInterval } from '../utils/format-interval';
import { RATINGS, reviewKeyAction } from '../utils/review-keys';
import styles from './cards.module.css';

function sides(card: DueCard): { front: string; back: string } {
  if (card.kind !== 'cloze') return { front: card.front, back: card.back };
  const { question, answer } = clozeSides(card.front);
  return { front: question, back: card.back ? `${answer}\n\n${card.back}` : answer };
}

export function ReviewPage({ deckId }: { deckId: number | null }) {
  const session = useReviewSession(deckId);
  const deck = useDeck(deckId);
  const { card, flipped, flip, grade } = session;

  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      const action = reviewKeyAction(event, flipped);
      if (action === null || card === null) return;
      event.preventDefault();
      if (action.kind === 'flip') flip();
      else grade(action.rating);
    }
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [card, flipped, flip, grade]);

  const shown = card && sides(card);
  return (
    <Page
      title={deck.data ? `Review: ${deck.data.name}` : 'Review'}
      lead={
        <>
          Space shows the answer; 1 Again, 2 Hard, 3 Good, 4 Easy.{' '}
          <Link to="/review/stats">Statistics</Link>
        </>
      }
    >
      {session.notice && (
        <p role="status" className={styles.notice} data-testid="review-notice">
          {session.notice}
        </p>
      )}
      <QueryState
        query={session.due}
        loading="Loading the cards due…"
        failure="Could not load the cards due."
        isEmpty={card === null}
        empty={
          <EmptyState
            title="Nothing due"
            description={
              session.lastResult
                ? 'You have reviewed every card due now. Come back when more are due.'
                : 'No card is due now.'
            }
            action={<Link to="/decks">Decks</Link>}
            data-testid="review-done"
          />
        }
      >
        {card && shown && (
          <article className={styles.reviewCard} aria-label="Card" data-testid="review-card">
            <p className={muted.small}>{session.remaining} due</p>
            <div className={styles.face} data-testid="card-front">
              {shown.front}
            </div>
            {flipped ? (
              <>
                <hr className={styles.divider} />
                <div className={styles.face} data-testid="card-back">
                  {shown.back}
                </div>
                <div className={styles.grades} role="group" aria-label="Grade">
                  {RATINGS.map(({ rating, label, grade: name }) => {
                    // The server computed next_due when it answered the queue.
                    const seconds =
                      (Date.parse(card.next_due[name]) - session.due.dataUpdatedAt) / 1000;
                    return (
                      <Button
                        key={rating}
                        variant={rating === 3 ? 'primary' : 'secondary'}
                        disabled={session.pending}
                        onClick={() => grade(rating)}
                        aria-keyshortcuts={String(rating)}
                      >
                        {rating} {label} ·{' '}
                        <span className={styles.interval}>{formatInterval(seconds)}</span>
                      </Button>
                    );
                  })}
                </div>
              </>
            ) : (
              <Button variant="primary" onClick={flip} aria-keyshortcuts="Space">
                Show answer
              </Button>
            )}
            {session.error && (
              <FormError>
                Your grade was not saved: {session.error.message} Press the grade again to retry.
              </FormError>
            )}
          </article>
        )}
      </QueryState>
    </Page>
  );
}
