import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import type { ApiToken } from '../../api/get-tokens';
import { ApiTokensPanel } from '../api-tokens-panel';

function token(overrides: Partial<ApiToken> = {}): ApiToken {
  return {
    id: 1,
    name: 'laptop',
    prefix: 'sg_ab12cd',
    created_at: '2026-01-02T10:00:00Z',
    last_used_at: null,
    expires_at: null,
    ...overrides,
  };
}

/** A stand-in for the tokens endpoints, keeping its tokens in memory like the server would. */
function fakeTokensApi(initial: ApiToken[] = []) {
  let tokens = [...initial];
  let nextId = 100;
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = input as string; // the api client always passes a path string
    const method = init?.method ?? 'GET';
    if (method === 'GET' && url.startsWith('/api/v1/tokens/')) {
      return Promise.resolve(
        jsonResponse({ count: tokens.length, next: null, previous: null, results: tokens }),
      );
    }
    if (method === 'POST' && url === '/api/v1/tokens/') {
      const { name } = JSON.parse(init?.body as string) as { name: string };
      if (name.trim() === 'taken') {
        return Promise.resolve(
          jsonResponse(
            {
              error: {
                code: 'validation_error',
                message: 'name: You already have a token with this name.',
                fields: { name: ['You already have a token with this name.'] },
              },
            },
            400,
          ),
        );
      }
      const created = token({ id: nextId++, name, prefix: 'sg_new123' });
      tokens = [created, ...tokens];
      return Promise.resolve(jsonResponse({ ...created, token: 'sg_new123_s3cr3t' }, 201));
    }
    const revoke = /^\/api\/v1\/tokens\/(\d+)\/$/.exec(url);
    if (method === 'DELETE' && revoke) {
      tokens = tokens.filter((item) => item.id !== Number(revoke[1]));
      return Promise.resolve(new Response(null, { status: 204 }));
    }
    return Promise.resolve(
      jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('API tokens panel', () => {
  it('lists tokens with their prefix, dates and "never" for unused ones', async () => {
    // given
    fakeTokensApi([token(), token({ id: 2, name: 'ci', last_used_at: '2026-01-03T09:30:00Z' })]);

    // when
    renderWithProviders(<ApiTokensPanel />);

    // then
    const rows = await screen.findAllByTestId('token-row');
    expect(rows).toHaveLength(2);
    const [laptop, ci] = rows as [HTMLElement, HTMLElement];
    expect(within(laptop).getByRole('rowheader')).toHaveTextContent('laptop');
    expect(laptop).toHaveTextContent('sg_ab12cd…');
    expect(within(laptop).getAllByText('never')).toHaveLength(2);
    expect(within(ci).getByText('never')).toBeInTheDocument();
    expect(ci.querySelector('time[datetime="2026-01-03T09:30:00Z"]')).not.toBeNull();
  });

  it('says so when there are no tokens yet', async () => {
    // given
    fakeTokensApi([]);

    // when
    renderWithProviders(<ApiTokensPanel />);

    // then
    expect(await screen.findByTestId('tokens-empty')).toHaveTextContent('No API tokens yet');
  });

  it('shows a load failure with a way to try again', async () => {
    // given
    const fetchMock = vi.fn<typeof fetch>(() =>
      Promise.resolve(
        jsonResponse({ error: { code: 'server_error', message: 'The database is down.' } }, 503),
      ),
    );
    vi.stubGlobal('fetch', fetchMock);
    const { user } = renderWithProviders(<ApiTokensPanel />);
    expect(await screen.findByRole('alert')).toHaveTextContent('The database is down.');

    // when
    fetchMock.mockResolvedValue(
      jsonResponse({ count: 1, next: null, previous: null, results: [token()] }),
    );
    await user.click(screen.getByRole('button', { name: 'Try again' }));

    // then
    expect(await screen.findByTestId('token-row')).toHaveTextContent('laptop');
  });

  it('creates a token, shows its secret once, then lists it', async () => {
    // given
    document.cookie = 'csrftoken=csrf-value';
    const fetchMock = fakeTokensApi([]);
    const { user } = renderWithProviders(<ApiTokensPanel />);
    await screen.findByTestId('tokens-empty');

    // when
    await user.click(screen.getByRole('button', { name: 'New token' }));
    await user.type(await screen.findByLabelText('Name'), 'laptop');
    await user.click(screen.getByRole('button', { name: 'Create token' }));

    // then
    expect(await screen.findByTestId('token-secret')).toHaveTextContent('sg_new123_s3cr3t');
    expect(screen.getByText(/you won’t see this token again/i)).toBeInTheDocument();
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    expect(post?.[1]?.body).toBe('{"name":"laptop"}');
    expect(new Headers(post?.[1]?.headers).get('X-CSRFToken')).toBe('csrf-value');

    // when
    await user.click(screen.getByRole('button', { name: 'Done' }));

    // then
    await waitFor(() => expect(screen.queryByTestId('token-secret')).not.toBeInTheDocument());
    expect(await screen.findByTestId('token-row')).toHaveTextContent('laptop');
  });

  it('shows the server’s message next to the name field', async () => {
    // given
    fakeTokensApi([]);
    const { user } = renderWithProviders(<ApiTokensPanel />);
    await screen.findByTestId('tokens-empty');
    await user.click(screen.getByRole('button', { name: 'New token' }));

    // when
    const name = await screen.findByLabelText('Name');
    await user.type(name, 'taken');
    await user.click(screen.getByRole('button', { name: 'Create token' }));

    // then
    expect(await screen.findByText('You already have a token with this name.')).toBeInTheDocument();
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('token-secret')).not.toBeInTheDocument();

    // when: the user edits the name, the server's complaint no longer applies
    await user.type(name, '-2');

    // then
    expect(screen.queryByText('You already have a token with this name.')).not.toBeInTheDocument();
  });

  it('revokes a token after confirmation', async () => {
    // given
    const fetchMock = fakeTokensApi([token(), token({ id: 2, name: 'ci' })]);
    const { user } = renderWithProviders(<ApiTokensPanel />);
    const laptop = (await screen.findAllByTestId('token-row'))[0] as HTMLElement;

    // when
    await user.click(within(laptop).getByRole('button', { name: /revoke/i }));
    await user.click(await screen.findByRole('button', { name: 'Revoke token' }));

    // then
    await waitFor(() => expect(screen.getAllByTestId('token-row')).toHaveLength(1));
    expect(screen.getByTestId('token-row')).toHaveTextContent('ci');
    expect(fetchMock).toHaveBeenCalledWith(
      '/api/v1/tokens/1/',
      expect.objectContaining({ method: 'DELETE' }),
    );
    expect(await screen.findByText('Token revoked')).toBeInTheDocument();
  });

  it('keeps the token when the confirmation is cancelled', async () => {
    // given
    const fetchMock = fakeTokensApi([token()]);
    const { user } = renderWithProviders(<ApiTokensPanel />);
    const row = await screen.findByTestId('token-row');

    // when
    await user.click(within(row).getByRole('button', { name: /revoke/i }));
    await user.click(await screen.findByRole('button', { name: 'Cancel' }));

    // then
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    expect(screen.getByTestId('token-row')).toHaveTextContent('laptop');
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'DELETE')).toBe(false);
  });
});
