import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import type { TeamDetail } from '../../api/get-team';
import { TeamPage } from '../team-page';

function team(role: TeamDetail['role']): TeamDetail {
  return {
    id: 3,
    name: 'Research',
    description: '',
    role,
    member_count: 2,
    created_at: '2026-01-02T10:00:00Z',
    members: [
      { user_id: 1, email: 'ada@example.com', role, joined_at: '2026-01-02T10:00:00Z' },
      { user_id: 2, email: 'bob@example.com', role: 'owner', joined_at: '2026-01-02T10:00:00Z' },
    ],
  };
}

const teamUsage = {
  limits: [
    {
      name: 'storage_bytes',
      used: 250_000,
      limit: 1_000_000,
      resets_at: null,
      what_counts: 'Every file the team owns.',
    },
  ],
};

function fakeTeamApi(role: TeamDetail['role']) {
  let name = 'Research';
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = input as string;
    const method = init?.method ?? 'GET';
    if (url === '/api/v1/me/') {
      return Promise.resolve(jsonResponse({ id: 1, email: 'ada@example.com', is_staff: false }));
    }
    if (method === 'PATCH' && url === '/api/v1/teams/3/') {
      name = (JSON.parse(init?.body as string) as { name: string }).name;
    }
    if (url === '/api/v1/teams/3/') return Promise.resolve(jsonResponse({ ...team(role), name }));
    if (url === '/api/v1/teams/3/usage/') return Promise.resolve(jsonResponse(teamUsage));
    if (method === 'GET' && url.startsWith('/api/v1/teams/3/invitations/')) {
      return Promise.resolve(jsonResponse({ count: 0, next: null, previous: null, results: [] }));
    }
    if (method === 'POST' && url === '/api/v1/teams/3/invitations/') {
      const message = 'bob@example.com is already a member of this team.';
      return Promise.resolve(
        jsonResponse(
          { error: { code: 'validation_error', message, fields: { email: [message] } } },
          400,
        ),
      );
    }
    return Promise.resolve(jsonResponse({ error: { code: 'not_found', message: 'No.' } }, 404));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function renderTeam() {
  return renderWithProviders(
    <MemoryRouter>
      <TeamPage teamId={3} />
    </MemoryRouter>,
  );
}

describe('TeamPage', () => {
  it("shows an admin the server's reason under the invited address", async () => {
    // given
    fakeTeamApi('admin');
    const { user } = renderTeam();
    const form = await screen.findByRole('form', { name: 'Invite by e-mail' });
    // when
    await user.type(within(form).getByLabelText('E-mail address'), 'bob@example.com');
    await user.click(within(form).getByRole('button', { name: 'Send invitation' }));
    // then
    expect(
      await within(form).findByText('bob@example.com is already a member of this team.'),
    ).toBeInTheDocument();
    // and an admin may not change the owner's role or make anyone an owner
    expect(screen.queryByLabelText('Role of bob@example.com')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Make owner' })).toBeNull();
  });

  it('offers a viewer neither invitations nor member changes', async () => {
    // given
    fakeTeamApi('viewer');
    // when
    renderTeam();
    // then
    expect(await screen.findByRole('heading', { name: 'Research' })).toBeInTheDocument();
    expect(screen.queryByRole('form', { name: 'Invite by e-mail' })).toBeNull();
    expect(screen.queryByRole('form', { name: 'Rename team' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Remove' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Leave team' })).toBeInTheDocument();
  });

  it("shows every member the team's usage against its plan", async () => {
    // given
    fakeTeamApi('viewer');
    // when
    renderTeam();
    // then
    const storage = await screen.findByTestId('usage-storage_bytes');
    expect(within(storage).getByText('250 kB of 1.0 MB (25%)')).toBeInTheDocument();
    expect(within(storage).getByText(/Every file the team owns\./)).toBeInTheDocument();
  });

  it('lets an owner rename the team', async () => {
    // given
    const fetchMock = fakeTeamApi('owner');
    const { user } = renderTeam();
    const form = await screen.findByRole('form', { name: 'Rename team' });
    // when
    const field = within(form).getByLabelText('Team name');
    await user.clear(field);
    await user.type(field, 'Night shift');
    await user.click(within(form).getByRole('button', { name: 'Rename' }));
    // then
    expect(await screen.findByRole('heading', { name: 'Night shift' })).toBeInTheDocument();
    const patch = fetchMock.mock.calls.find(([, init]) => init?.method === 'PATCH');
    expect(JSON.parse(patch?.[1]?.body as string)).toEqual({ name: 'Night shift' });
  });
});
