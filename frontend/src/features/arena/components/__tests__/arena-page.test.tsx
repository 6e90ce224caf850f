import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { ArenaPage } from '../arena-page';

const rows = [
  {
    model_version_id: 2,
    model_name: 'tiny 1.0.1',
    rating: 1104.6,
    ci_low: 1010.2,
    ci_high: 1230.9,
    battles: 6,
    wins: 4,
    losses: 1,
    ties: 1,
  },
  {
    model_version_id: 1,
    model_name: 'tiny 1.0.0',
    rating: 895.4,
    ci_low: 770.1,
    ci_high: 990.8,
    battles: 6,
    wins: 1,
    losses: 4,
    ties: 1,
  },
];

describe('ArenaPage', () => {
  it('ranks versions with their rating, interval and record, and exports votes', async () => {
    // given
    const fetch = vi.fn<typeof globalThis.fetch>((input, init) => {
      const { pathname } = new URL(input as string, 'http://test');
      if (pathname === '/api/v1/arena/export/' && init?.method === 'POST') {
        return Promise.resolve(
          jsonResponse({ dataset_id: 4, dataset_version_id: 9, pairs: 5 }, 201),
        );
      }
      return Promise.resolve(jsonResponse(rows));
    });
    vi.stubGlobal('fetch', fetch);
    const { user } = renderWithProviders(
      <MemoryRouter>
        <ArenaPage />
      </MemoryRouter>,
    );
    // when
    const table = await screen.findByRole('table');
    // then
    const [, first, second] = within(table).getAllByRole('row');
    expect(first).toHaveTextContent('1tiny 1.0.111051010 – 123164 · 1 · 1');
    expect(second).toHaveTextContent('tiny 1.0.0');
    // when
    await user.click(screen.getByRole('button', { name: 'Export votes as preferences' }));
    // then
    expect(await screen.findByText('Exported 5 pairs')).toBeInTheDocument();
    expect(
      fetch.mock.calls.some(([input]) => (input as string).includes('/api/v1/arena/export/')),
    ).toBe(true);
  });

  it('explains how to vote when there are no votes yet', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(jsonResponse([]))),
    );
    renderWithProviders(
      <MemoryRouter>
        <ArenaPage />
      </MemoryRouter>,
    );
    expect(await screen.findByText(/No votes yet/)).toBeInTheDocument();
  });
});
