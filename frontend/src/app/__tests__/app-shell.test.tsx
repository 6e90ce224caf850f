import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { ToastProvider } from '../../components/ui/toast';
import { TooltipProvider } from '../../components/ui/tooltip';
import { NotificationsProvider } from '../../features/notifications/components/notifications-provider';
import { jsonResponse } from '../../testing/render';
import { routes } from '../router';

/** A socket that never connects: the shell only needs something to show a status for. */
class SilentSocket {
  static readonly OPEN = 1;
  readyState = 0;
  onopen = null;
  onmessage = null;
  onclose = null;
  send() {}
  close() {}
}

function renderApp(path: string, { staff = false } = {}) {
  vi.stubGlobal('WebSocket', SilentSocket);
  const fetchMock = vi.fn<typeof fetch>((input) => {
    const url = input as string; // the api client always passes a path string
    if (url === '/api/v1/me/')
      return Promise.resolve(jsonResponse({ id: 1, email: 'ada@example.com', is_staff: staff }));
    if (url.startsWith('/api/v1/tokens/') || url.startsWith('/api/v1/models/')) {
      return Promise.resolve(jsonResponse({ count: 0, next: null, previous: null, results: [] }));
    }
    // allauth's logout redirects to an HTML page; fetch follows it.
    return Promise.resolve(
      new Response('<html></html>', { headers: { 'Content-Type': 'text/html' } }),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <TooltipProvider>
          <NotificationsProvider>
            <RouterProvider router={router} />
          </NotificationsProvider>
        </TooltipProvider>
      </ToastProvider>
    </QueryClientProvider>,
  );
  return { fetchMock, router, user: userEvent.setup() };
}

describe('app shell', () => {
  it('shows who is signed in and the live-updates status', async () => {
    // when
    renderApp('/');

    // then
    expect(await screen.findByText('ada@example.com')).toHaveAttribute('data-testid', 'user-email');
    expect(screen.getByTestId('live-indicator')).toHaveTextContent('Connecting');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Dashboard');
  });

  it('navigates from Settings to API tokens', async () => {
    // given
    const { user, router } = renderApp('/');
    const nav = screen.getByRole('navigation', { name: 'Main' });

    // when
    await user.click(within(nav).getByRole('link', { name: 'Settings' }));
    await user.click(screen.getByRole('link', { name: 'API tokens' }));

    // then
    expect(router.state.location.pathname).toBe('/settings/tokens');
    expect(await screen.findByTestId('tokens-empty')).toBeInTheDocument();
    expect(within(nav).getByRole('link', { name: 'Settings' })).toHaveAttribute(
      'aria-current',
      'page',
    );
  });

  it('offers staff the site monitoring page in the navigation', async () => {
    // given a staff member signed in
    const { user, router } = renderApp('/', { staff: true });
    const nav = screen.getByRole('navigation', { name: 'Main' });

    // when they follow the entry
    await user.click(await within(nav).findByRole('link', { name: 'Site monitoring' }));

    // then the site's monitoring opens
    expect(router.state.location.pathname).toBe('/monitoring');
    expect(await screen.findByRole('heading', { level: 1 })).toHaveTextContent('Site monitoring');
  });

  it('shows members no site monitoring entry', async () => {
    // when a member is signed in
    renderApp('/');
    await screen.findByText('ada@example.com');

    // then the navigation has no staff entry
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).queryByRole('link', { name: 'Site monitoring' })).not.toBeInTheDocument();
  });

  it('shows an honest empty page for areas that have no content yet', async () => {
    // when
    renderApp('/models');

    // then
    expect(await screen.findByRole('heading', { level: 1 })).toHaveTextContent('Models');
    expect(await screen.findByText('No models yet')).toBeInTheDocument();
  });

  it('logs out through allauth with the CSRF token', async () => {
    // given
    document.cookie = 'csrftoken=csrf-value';
    const { fetchMock, user } = renderApp('/');
    const assign = vi.fn();
    vi.spyOn(window, 'location', 'get').mockReturnValue({ ...window.location, assign });

    // when
    await user.click(screen.getByRole('button', { name: 'Log out' }));

    // then
    await vi.waitFor(() => expect(assign).toHaveBeenCalledWith('/accounts/login/'));
    const logout = fetchMock.mock.calls.find(([url]) => url === '/accounts/logout/');
    expect(logout?.[1]?.method).toBe('POST');
    expect(new Headers(logout?.[1]?.headers).get('X-CSRFToken')).toBe('csrf-value');
  });
});
