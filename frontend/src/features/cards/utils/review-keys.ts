/**
 * What a key press does on the review page: Space shows (or hides) the answer; 1-4 grade the
 * card Again/Hard/Good/Easy once its answer is showing. Presses while typing in a field, with a
 * modifier (browser shortcuts) or held down (auto-repeat would grade the next card too) do nothing,
 * and so does Space on a focused button, which the browser already turns into a click.
 */
export type Rating = 1 | 2 | 3 | 4;

/** The grades, with the name each has in a due card's `next_due`. */
export const RATINGS = [
  { rating: 1, label: 'Again', grade: 'again' },
  { rating: 2, label: 'Hard', grade: 'hard' },
  { rating: 3, label: 'Good', grade: 'good' },
  { rating: 4, label: 'Easy', grade: 'easy' },
] as const;

export type ReviewKeyAction = { kind: 'flip' } | { kind: 'grade'; rating: Rating } | null;

interface KeyLike {
  key: string;
  repeat: boolean;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  target: EventTarget | null;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

function isButton(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && target.closest('button') !== null;
}

export function reviewKeyAction(event: KeyLike, flipped: boolean): ReviewKeyAction {
  if (event.repeat || event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target))
    return null;
  if (event.key === ' ') return isButton(event.target) ? null : { kind: 'flip' };
  const rating = Number(event.key);
  if (flipped && (rating === 1 || rating === 2 || rating === 3 || rating === 4)) {
    return { kind: 'grade', rating };
  }
  return null;
}
