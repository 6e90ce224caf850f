import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import type { AlertEvent } from '../../api/get-alert-events';
import type { AlertRule } from '../../api/get-alert-rules';
import { AlertsPage } from '../alerts-page';

const rule: AlertRule = {
  id: 7,
  name: 'errors',
  model_version: 3,
  model_version_label: 'poet:1.0.0',
  series: 'error_rate',
  comparison: 'gte',
  threshold: 0.2,
  window: 'hour',
  enabled: true,
  notify_portal: true,
  notify_email: false,
  webhook_url: 'https://hooks.example.com/a',
  last_evaluated_at: '2026-01-02T10:00:00Z',
  last_value: 0.5,
  last_note: '',
  firing: true,
  created_at: '2026-01-02T09:00:00Z',
  updated_at: '2026-01-02T09:00:00Z',
};

const event: AlertEvent = {
  id: 11,
  rule: 7,
  rule_name: 'errors',
  fired_at: '2026-01-02T10:00:00Z',
  resolved_at: null,
  value: 0.5,
  message: 'error_rate on poet:1.0.0 is 0.5 (>= 0.2)',
  deliveries: [
    {
      id: 1,
      channel: 'portal',
      notice: 'fired',
      status: 'delivered',
      attempts: 1,
      last_error: '',
      delivered_at: '2026-01-02T10:00:01Z',
    },
    {
      id: 2,
      channel: 'webhook',
      notice: 'fired',
      status: 'failed',
      attempts: 5,
      last_error: 'the webhook answered 500',
      delivered_at: null,
    },
  ],
};

function page(results: unknown[]) {
  return jsonResponse({ count: results.length, next: null, previous: null, results });
}

const refusal = jsonResponse(
  {
    error: {
      code: 'validation_error',
      message: 'webhook_url: refused: address 10.0.0.5 is private',
      fields: { webhook_url: ['refused: address 10.0.0.5 is private'] },
    },
  },
  400,
);

/** The alert endpoints; a new rule is answered with `created` (the server's refusal of a
 * private webhook by default), a rotation with a fresh secret. */
function fakeAlertsApi(created: () => Response = () => refusal) {
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = input as string;
    const method = init?.method ?? 'GET';
    if (url.startsWith('/api/v1/alerts/rules/') && method === 'GET')
      return Promise.resolve(page([rule]));
    if (url.startsWith('/api/v1/alerts/events/')) return Promise.resolve(page([event]));
    if (url.startsWith('/api/v1/alerts/series/'))
      return Promise.resolve(
        jsonResponse({ series: ['requests', 'error_rate', 'drift:prompt', 'quota:storage_bytes'] }),
      );
    if (url === '/api/v1/alerts/rules/' && method === 'POST') return Promise.resolve(created());
    if (url === '/api/v1/alerts/rules/7/rotate-secret/' && method === 'POST')
      return Promise.resolve(jsonResponse({ webhook_secret: 'beef'.repeat(16) }));
    return Promise.resolve(
      jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('Alerts page', () => {
  it('shows a firing rule and an event whose webhook failed after its tries', async () => {
    // given
    fakeAlertsApi();
    // when
    renderWithProviders(<AlertsPage />);
    // then
    const [ruleRow] = await screen.findAllByTestId('alert-rule-row');
    expect(ruleRow).toHaveTextContent('error_rate on poet:1.0.0');
    expect(ruleRow).toHaveTextContent('≥ 0.2 (this hour)');
    expect(within(ruleRow as HTMLElement).getByText('firing')).toBeInTheDocument();
    const [eventRow] = await screen.findAllByTestId('alert-event-row');
    expect(eventRow).toHaveTextContent('fired · portal: delivered');
    expect(eventRow).toHaveTextContent('fired · webhook: failed after 5 tries');
    expect(eventRow).toHaveTextContent('the webhook answered 500');
    expect(eventRow).toHaveTextContent('still firing');
  });

  it('shows the server refusing a private webhook URL under that field', async () => {
    // given
    const fetchMock = fakeAlertsApi();
    const { user } = renderWithProviders(<AlertsPage />);
    await screen.findAllByTestId('alert-rule-row');
    // when
    await user.click(screen.getByRole('button', { name: 'New rule' }));
    const form = await screen.findByRole('form', { name: 'Alert rule' });
    await user.type(within(form).getByLabelText('Name'), 'latency');
    await user.type(within(form).getByLabelText('Model version id'), '3');
    await user.type(within(form).getByLabelText('Webhook URL (optional)'), 'http://10.0.0.5/hook');
    await user.click(within(form).getByRole('button', { name: 'Save rule' }));
    // then
    expect(
      await within(form).findByText('refused: address 10.0.0.5 is private'),
    ).toBeInTheDocument();
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    await waitFor(() => expect(post).toBeDefined());
    expect(JSON.parse(post?.[1]?.body as string)).toMatchObject({
      name: 'latency',
      model_version: 3,
      series: 'error_rate',
      webhook_url: 'http://10.0.0.5/hook',
      notify_portal: true,
    });
  });

  it("shows a new rule's webhook secret once, with a way to copy it", async () => {
    // given a server that creates the rule and answers with its new secret
    fakeAlertsApi(() =>
      jsonResponse({ ...rule, id: 8, name: 'latency', webhook_secret: 'cafe'.repeat(16) }, 201),
    );
    const { user } = renderWithProviders(<AlertsPage />);
    await screen.findAllByTestId('alert-rule-row');
    // when
    await user.click(screen.getByRole('button', { name: 'New rule' }));
    const form = await screen.findByRole('form', { name: 'Alert rule' });
    await user.type(within(form).getByLabelText('Name'), 'latency');
    await user.type(within(form).getByLabelText('Model version id'), '3');
    await user.type(
      within(form).getByLabelText('Webhook URL (optional)'),
      'https://hooks.example.com/b',
    );
    await user.click(within(form).getByRole('button', { name: 'Save rule' }));
    // then
    const dialog = await screen.findByTestId('webhook-secret-dialog');
    expect(within(dialog).getByTestId('webhook-secret')).toHaveTextContent('cafe'.repeat(16));
    expect(dialog).toHaveTextContent('you won’t see this secret again');
    expect(within(dialog).getByRole('button', { name: 'Copy' })).toBeInTheDocument();
    // and once it is closed, the secret is nowhere on the page
    await user.click(within(dialog).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByText('cafe'.repeat(16))).not.toBeInTheDocument());
  });

  it('rotates a webhook secret after a confirmation and shows the new one once', async () => {
    // given
    const fetchMock = fakeAlertsApi();
    const { user } = renderWithProviders(<AlertsPage />);
    await screen.findAllByTestId('alert-rule-row');
    // when
    await user.click(screen.getByRole('button', { name: 'Rotate the webhook secret of errors' }));
    await user.click(await screen.findByRole('button', { name: 'Rotate secret' }));
    // then
    const dialog = await screen.findByTestId('webhook-secret-dialog');
    expect(within(dialog).getByTestId('webhook-secret')).toHaveTextContent('beef'.repeat(16));
    expect(
      fetchMock.mock.calls.some(
        ([url, init]) => url === '/api/v1/alerts/rules/7/rotate-secret/' && init?.method === 'POST',
      ),
    ).toBe(true);
  });
});
