import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { RecipePage } from '../recipe-page';

const SLOW = { timeout: 30_000 };

const empty = { count: 0, next: null, previous: null, results: [] };

const recipe = {
  id: 9,
  name: 'clean',
  description: '',
  version: 1,
  steps: [{ type: 'normalize' }],
  versions: [{ number: 1, created_at: '2026-01-01T00:00:00Z' }],
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  access_role: 'owner',
};

const visibility = {
  kind: 'recipe',
  id: 9,
  name: 'clean',
  owner_email: 'ada@example.com',
  team_id: null,
  team_name: null,
  shares: [],
  access_role: 'owner',
};

describe('RecipePage', () => {
  it('shares the recipe through the sharing dialog', SLOW, async () => {
    // given
    const asked: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>((input) => {
        const { pathname } = new URL(input as string, 'http://test');
        asked.push(pathname);
        if (pathname === '/api/v1/recipes/9/') return Promise.resolve(jsonResponse(recipe));
        if (pathname === '/api/v1/sharing/recipe/9/') {
          return Promise.resolve(jsonResponse(visibility));
        }
        return Promise.resolve(jsonResponse(empty));
      }),
    );
    const { user } = renderWithProviders(
      <MemoryRouter>
        <RecipePage recipeId={9} />
      </MemoryRouter>,
    );
    // when
    await user.click(await screen.findByRole('button', { name: 'Share' }));
    // then
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByTestId('share-owner')).toHaveTextContent('Owned by you');
    expect(within(dialog).getByText('Not shared with any team.')).toBeInTheDocument();
    expect(asked).toContain('/api/v1/sharing/recipe/9/');
  });
});
