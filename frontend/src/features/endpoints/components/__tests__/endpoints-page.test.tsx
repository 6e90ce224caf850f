import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import type { RemoteEndpoint } from '../../../../lib/api/get-endpoints';
import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { EndpointsPage } from '../endpoints-page';

const lab: RemoteEndpoint = {
  id: 4,
  name: 'lab',
  base_url: 'https://models.example/v1',
  api_key_hint: '…9876',
  models: [
    { id: 'remote/lab/big', model: 'big' },
    { id: 'remote/lab/small', model: 'small' },
  ],
  models_fetched_at: '2026-01-02T10:00:00Z',
  last_error: '',
  created_at: '2026-01-02T09:00:00Z',
  updated_at: '2026-01-02T10:00:00Z',
};

const loopback = jsonResponse(
  {
    error: {
      code: 'validation_error',
      message: 'base_url: address 127.0.0.1 is loopback',
      fields: { base_url: ['address 127.0.0.1 is loopback'] },
    },
  },
  400,
);

/** The endpoint routes: the list holds `listed()`; a refresh answers `refreshed`, a create
 * `created` (the server's refusal of a loopback URL by default). */
function fakeEndpointsApi({
  listed = () => [lab],
  refreshed = lab,
  created = () => loopback,
}: {
  listed?: () => RemoteEndpoint[];
  refreshed?: RemoteEndpoint;
  created?: () => Response;
} = {}) {
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = input as string;
    const method = init?.method ?? 'GET';
    if (url.startsWith('/api/v1/endpoints/?') && method === 'GET') {
      const results = listed();
      return Promise.resolve(
        jsonResponse({ count: results.length, next: null, previous: null, results }),
      );
    }
    if (url === '/api/v1/endpoints/' && method === 'POST') return Promise.resolve(created());
    if (url === '/api/v1/endpoints/4/refresh/') return Promise.resolve(jsonResponse(refreshed));
    if (url === '/api/v1/endpoints/4/' && method === 'DELETE')
      return Promise.resolve(new Response(null, { status: 204 }));
    return Promise.resolve(
      jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('Endpoints page', () => {
  it('shows an endpoint with its key hint and models by the names chat and /v1 use', async () => {
    // given
    fakeEndpointsApi();
    // when
    renderWithProviders(<EndpointsPage />);
    // then
    const row = await screen.findByTestId('endpoint-row');
    expect(row).toHaveTextContent('lab');
    expect(row).toHaveTextContent('https://models.example/v1');
    expect(row).toHaveTextContent('…9876');
    expect(within(row).getByTestId('endpoint-models')).toHaveTextContent(
      'remote/lab/bigremote/lab/small',
    );
  });

  it('shows the server refusing a loopback base URL under that field', async () => {
    // given
    const fetchMock = fakeEndpointsApi({ listed: () => [] });
    const { user } = renderWithProviders(<EndpointsPage />);
    await screen.findByTestId('endpoints-empty');
    // when
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    const form = await screen.findByRole('form', { name: 'Add endpoint' });
    await user.type(within(form).getByLabelText('Name'), 'mine');
    await user.type(within(form).getByLabelText('Base URL'), 'http://127.0.0.1:8000/v1');
    await user.type(within(form).getByLabelText('API key (optional)'), 'sk-secret');
    await user.click(within(form).getByRole('button', { name: 'Add endpoint' }));
    // then
    expect(await within(form).findByText('address 127.0.0.1 is loopback')).toBeInTheDocument();
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    expect(JSON.parse(post?.[1]?.body as string)).toEqual({
      name: 'mine',
      base_url: 'http://127.0.0.1:8000/v1',
      api_key: 'sk-secret',
    });
  });

  it('refreshes an endpoint and shows why the refresh failed, keeping its models', async () => {
    // given a server whose refresh failed
    const failed = { ...lab, last_error: '127.0.0.1 did not answer within 10 s' };
    let current = lab;
    const fetchMock = fakeEndpointsApi({ listed: () => [current], refreshed: failed });
    const { user } = renderWithProviders(<EndpointsPage />);
    await screen.findByTestId('endpoint-row');
    // when
    current = failed;
    await user.click(screen.getByRole('button', { name: 'Refresh the models of lab' }));
    // then
    const row = await screen.findByTestId('endpoint-row');
    expect(
      await within(row).findByText('Last refresh failed: 127.0.0.1 did not answer within 10 s'),
    ).toBeInTheDocument();
    expect(within(row).getByTestId('endpoint-models')).toHaveTextContent('remote/lab/big');
    expect(fetchMock.mock.calls.some(([url]) => url === '/api/v1/endpoints/4/refresh/')).toBe(true);
  });

  it('deletes an endpoint once asked to confirm', async () => {
    // given
    let listed = [lab];
    const fetchMock = fakeEndpointsApi({ listed: () => listed });
    const { user } = renderWithProviders(<EndpointsPage />);
    await screen.findByTestId('endpoint-row');
    // when
    listed = [];
    await user.click(screen.getByRole('button', { name: 'Delete lab' }));
    expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'DELETE')).toBe(false);
    await user.click(await screen.findByRole('button', { name: 'Delete endpoint' }));
    // then
    await screen.findByTestId('endpoints-empty');
    await waitFor(() =>
      expect(
        fetchMock.mock.calls.some(
          ([url, init]) => url === '/api/v1/endpoints/4/' && init?.method === 'DELETE',
        ),
      ).toBe(true),
    );
  });
});
