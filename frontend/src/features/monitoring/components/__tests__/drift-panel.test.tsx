import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { DriftPanel } from '../drift-panel';

function result(kind: string, fields: Record<string, unknown>) {
  return {
    id: 1,
    kind,
    window_start: '2026-03-09T00:00:00Z',
    window_end: '2026-03-10T00:00:00Z',
    reference_start: '2026-03-01T00:00:00Z',
    reference_end: '2026-03-08T00:00:00Z',
    reference_dataset_version_id: null,
    reference_evaluation_id: null,
    statistic: null,
    p_value: null,
    threshold: 0.01,
    drifted: false,
    n_reference: 400,
    n_window: 12,
    status: 'ok',
    message: '',
    details: {},
    created_at: '2026-03-10T00:00:01Z',
    ...fields,
  };
}

const LATEST = {
  results: {
    prompt: result('prompt', { statistic: 0.29, p_value: 0.002, drifted: true, n_window: 300 }),
    personality: result('personality', {
      reference_start: null,
      reference_end: null,
      reference_evaluation_id: 7,
      statistic: 0.5,
      p_value: 0.001,
      drifted: true,
      n_reference: 61,
      n_window: 300,
    }),
    length: result('length', {
      status: 'insufficient',
      message: 'needs at least 50 requests on each side; the window has 12',
    }),
    refusal: result('refusal', { statistic: 0.4, p_value: 0.69, n_window: 300 }),
    feedback: null,
  },
};

const SETTINGS = {
  model_version_id: 3,
  reference_dataset_version_id: null,
  reference_dataset_id: null,
  window_hours: 24,
  min_requests: 50,
  alpha: 0.01,
};

const started = () => jsonResponse({ window_end: '2026-03-10T00:00:00Z' }, 202);

/** The drift endpoints; "Check now" is answered with `checkAnswer` (a started check by default). */
function stubApi(checkAnswer: () => Response = started) {
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = new URL(input as string, 'http://localhost');
    const base = '/api/v1/monitoring/model-versions/3/drift/';
    if (url.pathname === base) return Promise.resolve(jsonResponse(LATEST));
    if (url.pathname === `${base}history/`) {
      const kind = url.searchParams.get('kind') ?? '';
      const latest = (LATEST.results as Record<string, unknown>)[kind];
      return Promise.resolve(jsonResponse(latest ? [latest] : []));
    }
    if (url.pathname === `${base}settings/`) {
      const body: unknown = init?.method === 'PATCH' ? JSON.parse(init.body as string) : {};
      return Promise.resolve(jsonResponse({ ...SETTINGS, ...(body as object) }));
    }
    if (url.pathname === `${base}check/`) return Promise.resolve(checkAnswer());
    if (url.pathname === '/api/v1/datasets/')
      return Promise.resolve(jsonResponse({ count: 0, next: null, previous: null, results: [] }));
    return Promise.resolve(jsonResponse({ error: { message: 'not found' } }, 404));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

afterEach(() => vi.unstubAllGlobals());

describe('DriftPanel', () => {
  it('shows each kind’s verdict, the reason a test could not run, and a chart per kind', async () => {
    // given
    stubApi();
    // when
    renderWithProviders(<DriftPanel versionId={3} />);
    // then
    const prompt = await screen.findByTestId('drift-row-prompt');
    expect(within(prompt).getByText('drifted')).toBeInTheDocument();
    expect(within(prompt).getByText('0.002')).toBeInTheDocument();
    const length = screen.getByTestId('drift-row-length');
    expect(within(length).getByText('insufficient')).toBeInTheDocument();
    expect(within(length).getByText(/needs at least 50 requests/)).toBeInTheDocument();
    expect(
      within(screen.getByTestId('drift-row-refusal')).getByText('no drift'),
    ).toBeInTheDocument();
    expect(
      within(screen.getByTestId('drift-row-feedback')).getByText('not checked'),
    ).toBeInTheDocument();
    expect(await screen.findByTestId('drift-chart-prompt')).toBeInTheDocument();
  });

  it('says which baseline each kind was compared with', async () => {
    // given personality drift measured against the version's evaluation, the rest against its first week
    stubApi();
    // when
    renderWithProviders(<DriftPanel versionId={3} />);
    // then
    expect(await screen.findByTestId('drift-reference-personality')).toHaveTextContent(
      'personality evaluation #7',
    );
    expect(screen.getByTestId('drift-reference-prompt')).toHaveTextContent('first week');
    expect(screen.getByTestId('drift-reference-feedback')).toHaveTextContent('–');
  });

  it('starts a check and saves settings', async () => {
    // given
    const fetchMock = stubApi();
    const { user } = renderWithProviders(<DriftPanel versionId={3} />);
    // when
    await user.click(await screen.findByRole('button', { name: 'Check now' }));
    const window = await screen.findByLabelText('Window (hours)');
    await user.clear(window);
    await user.type(window, '6');
    await user.click(screen.getByRole('button', { name: 'Save drift settings' }));
    // then
    expect(await screen.findByText(/Saved; the next check uses them/)).toBeInTheDocument();
    const sent = fetchMock.mock.calls.map(([input, init]) => [
      new URL(input as string, 'http://localhost').pathname,
      init?.method ?? 'GET',
      init?.body,
    ]);
    expect(sent).toContainEqual([
      '/api/v1/monitoring/model-versions/3/drift/check/',
      'POST',
      undefined,
    ]);
    const patch = sent.find(([, method]) => method === 'PATCH');
    expect(JSON.parse(patch?.[2] as string)).toEqual({
      reference_dataset_version_id: null,
      window_hours: 6,
      min_requests: 50,
      alpha: 0.01,
    });
  });

  it('says when to try again when a check was asked for within the cooldown', async () => {
    // given a server that answers 429 with Retry-After
    stubApi(() => {
      const tooSoon = jsonResponse(
        { error: { code: 'throttled', message: 'Request was throttled.' } },
        429,
      );
      tooSoon.headers.set('Retry-After', '240');
      return tooSoon;
    });
    const { user } = renderWithProviders(<DriftPanel versionId={3} />);
    // when
    await user.click(await screen.findByRole('button', { name: 'Check now' }));
    // then
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Checked recently; try again in 240 s.',
    );
    expect(screen.queryByText(/Could not start a check/)).not.toBeInTheDocument();
  });
});
