import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { ModelMonitoringPage } from '../model-monitoring-page';
import { TracePage } from '../trace-page';

function series(granularity: 'hour' | 'day') {
  return {
    granularity,
    start: '2026-03-01T00:00:00Z',
    end: '2026-03-01T02:00:00Z',
    buckets: ['2026-03-01T00:00:00Z', '2026-03-01T01:00:00Z'],
    series: {
      requests: [3, 0],
      errors: [1, 0],
      error_rate: [0.33, null],
      prompt_tokens: [15, 0],
      completion_tokens: [40, 0],
      latency_p50_ms: [375, null],
      latency_p95_ms: [4000, null],
      ttft_p95_ms: [90, null],
      feedback_ratio: [1, null],
      arena_win_rate: [null, null],
    },
  };
}

const trace = {
  id: 7,
  source: 'chat',
  status: 'ok',
  error_code: '',
  model_version: 3,
  message: 42,
  received_at: '2026-03-01T00:00:00.000Z',
  prompt_tokens: 5,
  completion_tokens: 6,
  ttft_ms: 100,
  tokens_per_s: 20,
  total_ms: 1000,
  hops: [
    ['web', 0, 5],
    ['queue', 5, 10],
    ['worker', 10, 20],
    ['prefill', 20, 100],
    ['decode', 100, 999],
    ['relay', 999, 1000],
  ].map(([name, start, end]) => ({
    name,
    description: `${name} hop`,
    start: new Date(Date.parse('2026-03-01T00:00:00Z') + Number(start)).toISOString(),
    end: new Date(Date.parse('2026-03-01T00:00:00Z') + Number(end)).toISOString(),
    duration_ms: Number(end) - Number(start),
  })),
};

/** The URL a fetch call asked for (the API client passes strings). */
function urlOf(input: unknown): URL {
  return new URL(input as string, 'http://localhost');
}

function stubApi() {
  const fetchMock = vi.fn<typeof fetch>((input) => {
    const url = urlOf(input);
    if (url.pathname.endsWith('/monitoring/')) {
      return Promise.resolve(jsonResponse(series(url.searchParams.get('granularity') as 'hour')));
    }
    if (url.pathname === '/api/v1/monitoring/traces/') {
      return Promise.resolve(
        jsonResponse({ count: 1, next: null, previous: null, results: [trace] }),
      );
    }
    if (url.pathname === '/api/v1/monitoring/traces/7/')
      return Promise.resolve(jsonResponse(trace));
    return Promise.resolve(jsonResponse({ error: { message: 'not found' } }, 404));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

afterEach(() => vi.unstubAllGlobals());

describe('ModelMonitoringPage', () => {
  it('charts the version by the hour, switches to days, and lists recent requests', async () => {
    // given
    const fetchMock = stubApi();
    // when
    const { user } = renderWithProviders(
      <MemoryRouter>
        <ModelMonitoringPage versionId={3} />
      </MemoryRouter>,
    );
    // then the four charts are drawn from one request for every series
    expect(await screen.findByTestId('chart-Latency')).toBeInTheDocument();
    for (const title of ['Requests', 'Tokens', 'Errors, feedback and arena']) {
      expect(screen.getByTestId(`chart-${title}`)).toBeInTheDocument();
    }
    const asked = urlOf(fetchMock.mock.calls[0]?.[0]);
    expect(asked.pathname).toBe('/api/v1/model-versions/3/monitoring/');
    expect(asked.searchParams.get('series')).toContain('latency_p95_ms');
    // and the recent request opens its trace
    const link = await screen.findByRole('link', { name: /2026|#7/ });
    expect(link).toHaveAttribute('href', '/monitoring/traces/7');
    // when the user picks days
    await user.click(screen.getByRole('button', { name: 'Daily (90 days)' }));
    // then the series are asked for by the day
    await vi.waitFor(() => {
      const granularities = fetchMock.mock.calls.map(([input]) =>
        urlOf(input).searchParams.get('granularity'),
      );
      expect(granularities).toContain('day');
    });
  });
});

describe('TracePage', () => {
  it("finds a chat reply's trace and shows a bar per hop with its duration", async () => {
    // given
    stubApi();
    // when
    renderWithProviders(
      <MemoryRouter>
        <TracePage messageId={42} />
      </MemoryRouter>,
    );
    // then
    const decode = await screen.findByTestId('hop-decode');
    expect(within(decode).getByText('899 ms')).toBeInTheDocument();
    expect(within(screen.getByTestId('hop-web')).getByText('5.0 ms')).toBeInTheDocument();
    expect(screen.getByText('1.00 s')).toBeInTheDocument();
  });
});
