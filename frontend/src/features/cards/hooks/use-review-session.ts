/**
 * A review session over a due queue: the card on screen, whether its answer shows, grading it,
 * and what went wrong. Each showing of a card (its id and revision) gets one review id, kept
 * across retries, so a grade resent after a lost answer counts once. A card graded in another
 * tab meanwhile (409) or deleted (404) is reloaded or skipped with a notice, never graded twice.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

import { ApiError } from '../../../lib/api-client';
import { type DueCard, useDueCards } from '../api/get-due-cards';
import { type ReviewResult, useReviewCard } from '../api/review-card';
import type { Rating } from '../utils/review-keys';

function showingKey(card: DueCard): string {
  return `${card.id}:${card.revision}`;
}

/** A random UUID, also where `crypto.randomUUID` is missing (plain-HTTP pages). */
function newReviewId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function useReviewSession(deckId: number | null) {
  const due = useDueCards(deckId);
  const review = useReviewCard();
  const [flipped, setFlipped] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [lastResult, setLastResult] = useState<ReviewResult | null>(null);
  // Showings graded (or found gone) here, hidden before the refetched queue drops them.
  const [finished, setFinished] = useState<ReadonlySet<string>>(new Set());
  const reviewIds = useRef(new Map<string, string>());
  const shownAt = useRef<{ key: string; at: number } | null>(null);

  const queue = (due.data?.results ?? []).filter((item) => !finished.has(showingKey(item)));
  const card = queue[0] ?? null;
  const cardKey = card === null ? null : showingKey(card);

  useEffect(() => {
    if (cardKey !== null) shownAt.current = { key: cardKey, at: Date.now() };
  }, [cardKey]);

  const finish = useCallback((key: string) => {
    setFinished((current) => new Set(current).add(key));
    setFlipped(false);
  }, []);

  const flip = useCallback(() => setFlipped((value) => !value), []);

  const grade = useCallback(
    (rating: Rating) => {
      if (card === null || !flipped || review.isPending) return;
      const key = showingKey(card);
      const clientReviewId = reviewIds.current.get(key) ?? newReviewId();
      reviewIds.current.set(key, clientReviewId);
      const startedAt = shownAt.current?.key === key ? shownAt.current.at : Date.now();
      setNotice(null);
      review.mutate(
        {
          cardId: card.id,
          input: {
            rating,
            client_review_id: clientReviewId,
            revision: card.revision,
            review_duration_ms: Math.max(0, Date.now() - startedAt),
          },
        },
        {
          onSuccess: (result) => {
            setLastResult(result);
            finish(key);
          },
          onError: (error) => {
            if (!(error instanceof ApiError)) return;
            if (error.status === 409) {
              setNotice(error.message);
              finish(key);
            } else if (error.status === 404) {
              setNotice('This card was deleted meanwhile; moving on to the next one.');
              finish(key);
            }
          },
        },
      );
    },
    [card, flipped, review, finish],
  );

  // A failure other than the two above keeps the card and its review id for a retry.
  const error =
    review.error instanceof ApiError && [404, 409].includes(review.error.status)
      ? null
      : review.error;

  return {
    due,
    card,
    remaining: queue.length,
    flipped,
    flip,
    grade,
    pending: review.isPending,
    error,
    notice,
    lastResult,
  };
}
