import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import type { Visibility } from '../../../lib/api/sharing';
import { jsonResponse, renderWithProviders } from '../../../testing/render';
import { ShareDialog } from '../share-dialog';

const TEAMS = [
  { id: 7, name: 'Research', description: '', role: 'member', member_count: 3, created_at: '' },
  { id: 8, name: 'Readers', description: '', role: 'viewer', member_count: 2, created_at: '' },
];

/** The sharing endpoints of one dataset, keeping its shares in memory like the server. */
function fakeSharingApi(accessRole: string) {
  const visibility: Visibility = {
    kind: 'dataset',
    id: 5,
    name: 'corpus',
    owner_email: 'ada@example.com',
    team_id: null,
    team_name: null,
    shares: [],
    access_role: accessRole,
  };
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = input as string;
    const method = init?.method ?? 'GET';
    if (url.startsWith('/api/v1/teams/')) {
      return Promise.resolve(
        jsonResponse({ count: 2, next: null, previous: null, results: TEAMS }),
      );
    }
    if (method === 'GET' && url === '/api/v1/sharing/dataset/5/') {
      return Promise.resolve(jsonResponse(visibility));
    }
    if (method === 'POST' && url === '/api/v1/sharing/dataset/5/shares/') {
      const body = JSON.parse(init?.body as string) as { team_id: number; level: string };
      const team = TEAMS.find((t) => t.id === body.team_id);
      visibility.shares = [
        { team_id: body.team_id, team_name: team?.name ?? '', level: body.level, created_at: '' },
      ];
      return Promise.resolve(jsonResponse(visibility, 201));
    }
    if (method === 'DELETE' && url === '/api/v1/sharing/dataset/5/shares/7/') {
      visibility.shares = [];
      return Promise.resolve(new Response(null, { status: 204 }));
    }
    return Promise.resolve(jsonResponse({ error: { code: 'not_found', message: 'No.' } }, 404));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('ShareDialog', () => {
  it('shows who can see an object and shares it with a team, then takes it back', async () => {
    // given
    const fetchMock = fakeSharingApi('owner');
    const { user } = renderWithProviders(<ShareDialog kind="dataset" id={5} />);
    // when
    await user.click(screen.getByRole('button', { name: 'Share' }));
    const dialog = await screen.findByRole('dialog');
    // then
    expect(await within(dialog).findByTestId('share-owner')).toHaveTextContent('Owned by you');
    expect(within(dialog).getByText('Not shared with any team.')).toBeInTheDocument();
    // when
    await user.selectOptions(within(dialog).getByLabelText('Team'), 'Research');
    await user.selectOptions(within(dialog).getByLabelText('Access'), 'write');
    await user.click(within(dialog).getByRole('button', { name: 'Share with team' }));
    // then
    expect(await within(dialog).findByTestId('share-row')).toHaveTextContent('Research');
    expect(within(dialog).getByTestId('share-row')).toHaveTextContent('write');
    const sent = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    expect(JSON.parse(sent?.[1]?.body as string)).toEqual({ team_id: 7, level: 'write' });
    // when
    await user.click(within(dialog).getByRole('button', { name: 'Remove Research' }));
    // then
    await waitFor(() => expect(within(dialog).queryByTestId('share-row')).not.toBeInTheDocument());
  });

  it('offers no changes to someone it is only shared with', async () => {
    // given
    fakeSharingApi('read');
    const { user } = renderWithProviders(<ShareDialog kind="dataset" id={5} />);
    // when
    await user.click(screen.getByRole('button', { name: 'Share' }));
    const dialog = await screen.findByRole('dialog');
    // then
    expect(await within(dialog).findByTestId('share-owner')).toHaveTextContent(
      'Owned by ada@example.com',
    );
    expect(within(dialog).getByText('shared with you to read')).toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Share with team' })).toBeNull();
    expect(within(dialog).queryByRole('button', { name: 'Move into team' })).toBeNull();
  });
});
