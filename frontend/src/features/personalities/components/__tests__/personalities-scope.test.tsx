import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { renderWithProviders } from '../../../../testing/render';
import { PersonalitiesPage } from '../personalities-page';
import { PersonalityPage } from '../personality-page';
import { fakeApi, page, personality, version } from './fake-api';

vi.mock('uplot', () => import('../../../../testing/uplot-stub'));

const sage = personality({ id: 3, name: 'Sage', builtin: true, access_role: 'public' });
const tutor = personality({ id: 1, name: 'Tutor', access_role: 'owner' });
const coach = personality({ id: 5, name: 'Coach', access_role: 'read' });
const mentor = personality({ id: 6, name: 'Mentor', access_role: 'team_member' });

function renderList() {
  return renderWithProviders(
    <MemoryRouter initialEntries={['/personalities']}>
      <PersonalitiesPage />
    </MemoryRouter>,
  );
}

function renderDetail(id: number) {
  return renderWithProviders(
    <MemoryRouter>
      <PersonalityPage personalityId={id} />
    </MemoryRouter>,
  );
}

describe('PersonalitiesPage, yours and shared with you', () => {
  it('lists what is shared apart from your own, each with how it reaches you', async () => {
    // given
    fakeApi({ 'GET /api/v1/personalities/': page([sage, tutor, coach, mentor]) });
    // when
    renderList();
    // then
    const own = await screen.findByTestId('own-personalities');
    expect(within(own).getAllByTestId('personality-row')).toHaveLength(1);
    expect(within(own).queryByTestId('access-badge')).toBeNull();
    const shared = screen.getByTestId('shared-personalities');
    expect(
      within(shared)
        .getAllByTestId('access-badge')
        .map((badge) => badge.textContent),
    ).toEqual(['shared with you to read', 'your team’s (member)']);
  });

  it('asks the server for the shared side only and hides your own', async () => {
    // given
    const fetchMock = fakeApi({ 'GET /api/v1/personalities/': page([sage, coach]) });
    const { user } = renderList();
    await screen.findByTestId('shared-personalities');
    // when
    await user.click(screen.getByRole('button', { name: 'Shared with you' }));
    // then
    const asked = fetchMock.mock.calls.map(([input]) => input as string);
    expect(asked.some((url) => url.includes('scope=shared'))).toBe(true);
    expect(
      await screen.findByRole('button', { name: 'Shared with you', pressed: true }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Yours' })).toBeNull();
    expect(screen.getByTestId('shared-personalities')).toHaveTextContent('Coach');
  });
});

describe('PersonalityPage, by access', () => {
  it('offers a reader neither edit nor delete', async () => {
    // given
    fakeApi({
      'GET /api/v1/personalities/5/': coach,
      'GET /api/v1/personalities/5/versions/': page([version()]),
    });
    // when
    renderDetail(5);
    // then
    expect(await screen.findByRole('button', { name: 'Copy Coach' })).toBeInTheDocument();
    expect(screen.getByTestId('personality-badges')).toHaveTextContent('shared with you to read');
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
  });

  it('lets a team member edit but not delete', async () => {
    // given
    fakeApi({
      'GET /api/v1/personalities/6/': mentor,
      'GET /api/v1/personalities/6/versions/': page([version()]),
    });
    // when
    renderDetail(6);
    // then
    expect(await screen.findByRole('button', { name: 'Edit' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
  });
});
