import { screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { ReviewPage } from '../review-page';

const LOADED = { timeout: 10_000 };
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

const card = (id: number, front: string, back: string, revision = 0) => ({
  id,
  deck_id: 1,
  kind: 'basic',
  front,
  back,
  source: { kind: 'manual' },
  state: 1,
  step: 0,
  stability: null,
  difficulty: null,
  due: '2026-01-01T10:00:00Z',
  last_review: null,
  revision,
  created_at: '2026-01-01T10:00:00Z',
  updated_at: '2026-01-01T10:00:00Z',
  next_due: { again: inDays(0.01), hard: inDays(0.5), good: inDays(3), easy: inDays(8) },
});

interface Grade {
  cardId: number;
  body: { rating: number; client_review_id: string; revision: number };
}

/** The review API: `queue` is what the due endpoint answers now; `answer` answers each grade. */
function fakeApi(initial: unknown[], answer: (grade: Grade) => Promise<Response> | Response) {
  const state = { queue: initial };
  const grades: Grade[] = [];
  const fetchMock = vi.fn<typeof fetch>(async (input, init) => {
    const url = new URL(input as string, 'http://test');
    if (url.pathname === '/api/v1/review/due/') return jsonResponse({ results: state.queue });
    const review = /^\/api\/v1\/cards\/(\d+)\/review\/$/.exec(url.pathname);
    if (review && init?.method === 'POST') {
      const grade = {
        cardId: Number(review[1]),
        body: JSON.parse(init.body as string) as Grade['body'],
      };
      grades.push(grade);
      return answer(grade);
    }
    return jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { state, grades };
}

function renderReview() {
  return renderWithProviders(
    <MemoryRouter>
      <ReviewPage deckId={null} />
    </MemoryRouter>,
  );
}

const reviewed = (grade: Grade) =>
  jsonResponse({
    card: card(grade.cardId, '', '', grade.body.revision + 1),
    review: { id: 1, rating: grade.body.rating, reviewed_at: '', client_review_id: '' },
    replayed: false,
  });

describe('ReviewPage', () => {
  it('shows the answer on Space, grades Good on 3 and moves to the next card', async () => {
    // given two cards due
    const api = fakeApi(
      [card(1, 'Who discovered polonium?', 'Marie Curie'), card(2, 'Capital of Peru?', 'Lima')],
      (grade) => {
        api.state.queue = [card(2, 'Capital of Peru?', 'Lima')];
        return reviewed(grade);
      },
    );
    const { user } = renderReview();
    expect(await screen.findByText('Who discovered polonium?', {}, LOADED)).toBeInTheDocument();
    expect(screen.queryByText('Marie Curie')).not.toBeInTheDocument();

    // when a digit is pressed before the answer shows, nothing is graded
    await user.keyboard('3');
    expect(api.grades).toHaveLength(0);

    // when Space is pressed
    await user.keyboard(' ');

    // then the answer shows, with when each grade would bring the card back
    expect(screen.getByTestId('card-back')).toHaveTextContent('Marie Curie');
    expect(screen.getByRole('button', { name: /3 Good · 3 d/ })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /4 Easy · 8 d/ })).toBeInTheDocument();

    // when 3 is pressed
    await user.keyboard('3');

    // then the card is graded Good on the revision shown, and the next card's front comes
    expect(await screen.findByText('Capital of Peru?', {}, LOADED)).toBeInTheDocument();
    expect(api.grades).toEqual([
      { cardId: 1, body: expect.objectContaining({ rating: 3, revision: 0 }) as unknown },
    ]);
    expect(api.grades[0]?.body.client_review_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(screen.queryByTestId('card-back')).not.toBeInTheDocument();
  });

  it('reloads a card graded in another tab meanwhile, with a notice, and grades its new revision', async () => {
    // given a card another tab grades after this page loaded it
    const message = 'This card was reviewed in another tab or device; it has been reloaded.';
    const api = fakeApi([card(1, 'Who discovered polonium?', 'Marie Curie', 0)], (grade) => {
      if (grade.body.revision === 0) {
        api.state.queue = [card(1, 'Who discovered polonium?', 'Marie Curie', 1)];
        return jsonResponse(
          { error: { code: 'stale_revision', message }, card: card(1, '', '', 1) },
          409,
        );
      }
      api.state.queue = [];
      return reviewed(grade);
    });
    const { user } = renderReview();
    await screen.findByText('Who discovered polonium?', {}, LOADED);

    // when it is graded here on the old revision
    await user.keyboard(' ');
    await user.keyboard('1');

    // then the notice says so and the card is shown again, as it is now, front only
    expect(await screen.findByText(message, {}, LOADED)).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('card-front')).toBeInTheDocument());
    expect(screen.queryByTestId('card-back')).not.toBeInTheDocument();

    // when it is graded again
    await user.keyboard(' ');
    await user.keyboard('4');

    // then that grade is on the new revision, with a new review id, and the queue is done
    expect(await screen.findByTestId('review-done', {}, LOADED)).toBeInTheDocument();
    expect(api.grades.map((grade) => grade.body.revision)).toEqual([0, 1]);
    expect(api.grades[1]?.body.client_review_id).not.toBe(api.grades[0]?.body.client_review_id);
  });

  it('resends a grade whose answer was lost with the same review id, so it counts once', async () => {
    // given a server whose first answer never arrives
    let calls = 0;
    const api = fakeApi([card(1, 'Who discovered polonium?', 'Marie Curie')], (grade) => {
      calls += 1;
      if (calls === 1) return Promise.reject(new TypeError('Failed to fetch'));
      api.state.queue = [];
      return reviewed(grade);
    });
    const { user } = renderReview();
    await screen.findByText('Who discovered polonium?', {}, LOADED);

    // when a grade fails to arrive
    await user.keyboard(' ');
    await user.keyboard('3');

    // then the page says it was not saved and keeps the card
    expect(await screen.findByText(/Your grade was not saved/, {}, LOADED)).toBeInTheDocument();
    expect(screen.getByTestId('card-back')).toHaveTextContent('Marie Curie');

    // when the grade is pressed again
    await user.keyboard('3');

    // then it is resent with the same review id, and the session finishes
    expect(await screen.findByTestId('review-done', {}, LOADED)).toBeInTheDocument();
    expect(api.grades).toHaveLength(2);
    expect(api.grades[1]?.body.client_review_id).toBe(api.grades[0]?.body.client_review_id);
  });

  it('moves on from a card deleted meanwhile, saying so', async () => {
    // given a card deleted in another tab after this page loaded it
    const api = fakeApi(
      [card(1, 'Who discovered polonium?', 'Marie Curie'), card(2, 'Capital of Peru?', 'Lima')],
      () => {
        api.state.queue = [card(2, 'Capital of Peru?', 'Lima')];
        return jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404);
      },
    );
    const { user } = renderReview();
    await screen.findByText('Who discovered polonium?', {}, LOADED);

    // when it is graded
    await user.keyboard(' ');
    await user.keyboard('2');

    // then the page says it was deleted and shows the next card
    expect(await screen.findByText(/was deleted meanwhile/, {}, LOADED)).toBeInTheDocument();
    expect(await screen.findByText('Capital of Peru?', {}, LOADED)).toBeInTheDocument();
  });
});
