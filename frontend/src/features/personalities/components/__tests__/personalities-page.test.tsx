import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { PersonalitiesPage } from '../personalities-page';
import { fakeApi, page, personality, version } from './fake-api';

function renderList(path = '/personalities') {
  return renderWithProviders(
    <MemoryRouter initialEntries={[path]}>
      <PersonalitiesPage />
    </MemoryRouter>,
  );
}

describe('PersonalitiesPage', () => {
  it('lists your personalities apart from the built-ins, which offer Copy, with training ones marked', async () => {
    // given
    fakeApi({
      'GET /api/v1/personalities/': page([
        personality({ id: 3, name: 'Sage', builtin: true, archetype: 'sage' }),
        personality({
          id: 7,
          name: 'Fan',
          kind: 'neural',
          current_version: version({ status: 'training', progress: 0.4 }),
        }),
      ]),
    });
    // when
    renderList();
    // then
    const own = await screen.findByTestId('own-personalities');
    expect(within(own).getByRole('link', { name: 'Fan' })).toHaveAttribute(
      'href',
      '/personalities/7',
    );
    expect(within(own).getByTestId('kind-badge')).toHaveTextContent('neural');
    expect(within(own).getByTestId('personality-status')).toHaveTextContent('training 40%');
    expect(within(own).queryByRole('button', { name: /Copy/ })).not.toBeInTheDocument();
    const builtins = screen.getByTestId('builtin-personalities');
    expect(within(builtins).getByRole('button', { name: 'Copy Sage' })).toBeInTheDocument();
  });

  it('says when you have none of your own yet, and filters by kind from the URL', async () => {
    // given
    const fetchMock = fakeApi({ 'GET /api/v1/personalities/': page([]) });
    // when
    renderList('/personalities?kind=learned');
    // then
    expect(await screen.findByTestId('own-personalities-empty')).toHaveTextContent(
      'No learned personalities of your own',
    );
    expect(fetchMock.mock.calls[0]![0] as string).toContain('kind=learned');
  });

  it('shows why the list could not load, with a retry', async () => {
    // given
    fakeApi({
      'GET /api/v1/personalities/': () =>
        jsonResponse({ error: { code: 'server_error', message: 'Database is down.' } }, 500),
    });
    // when
    renderList();
    // then
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Could not load personalities. Database is down.');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
