import { act, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { NotificationsContext } from '../../../../lib/notifications';
import { ReconnectingSocket } from '../../../../lib/ws';
import { FakeSocket } from '../../../../testing/fake-socket';
import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { RunReportPage } from '../run-report-page';

const SLOW = { timeout: 30_000 };

const running = {
  id: 5,
  recipe: 9,
  recipe_name: 'clean',
  recipe_version: 2,
  steps: [{ type: 'normalize' }, { type: 'length_filter', min: 10 }],
  inputs: [30],
  output_name: 'clean poems',
  status: 'running',
  progress: {},
  report: {},
  error: '',
  cancel_requested: false,
  outputs: [],
  created_at: '2026-01-01T00:00:00Z',
  started_at: '2026-01-01T00:00:01Z',
  finished_at: null,
  access_role: 'owner',
};

const finished = {
  ...running,
  status: 'succeeded',
  outputs: [
    { part: 'data', dataset_version: 44, dataset: 8, dataset_name: 'clean poems', number: 1 },
  ],
  report: {
    steps: [
      {
        index: 0,
        type: 'normalize',
        records_in: 6,
        records_out: 6,
        dropped: {},
        examples: [],
        stats: {},
      },
      {
        index: 1,
        type: 'length_filter',
        records_in: 6,
        records_out: 4,
        dropped: { too_short: 2 },
        examples: [{ file: 'poems.txt', line: 3, reason: 'too_short', text: 'hi' }],
        stats: {},
      },
    ],
    errors: [{ step: 1, file: 'poems.txt', line: 9, message: 'not text' }],
    error_count: 1,
    outputs: { data: 4 },
    bytes_in: 2048,
    seconds: 0.4,
  },
};

describe('RunReportPage', () => {
  it('moves the progress live and shows the report per step when the run ends', SLOW, async () => {
    // given
    let run: unknown = running;
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(() => Promise.resolve(jsonResponse(run))),
    );
    const fake = new FakeSocket();
    const socket = new ReconnectingSocket('ws://test/ws/notifications/', {
      createSocket: () => fake as unknown as WebSocket,
    });
    socket.open();
    renderWithProviders(
      <NotificationsContext.Provider value={socket}>
        <MemoryRouter>
          <RunReportPage runId={5} />
        </MemoryRouter>
      </NotificationsContext.Provider>,
    );
    expect(await screen.findByTestId('run-status')).toHaveTextContent('running');
    act(() => fake.accept());

    // when
    act(() =>
      fake.emit({
        type: 'recipe_run.progress',
        id: 5,
        step: 1,
        records_in: 3,
        records_out: 2,
        fraction: 0.5,
      }),
    );
    // then
    const progress = await screen.findByTestId('run-progress');
    await waitFor(() => expect(progress).toHaveTextContent('Running step 2 Length filter'));
    expect(progress).toHaveTextContent('50% · 3 in, 2 out');

    // when
    run = finished;
    act(() => fake.emit({ type: 'recipe_run.finished', id: 5, status: 'succeeded' }));
    // then
    const report = await screen.findByTestId('run-report');
    const rows = within(report).getAllByTestId('report-step');
    expect(rows[1]).toHaveTextContent('2. Length filter64too_short: 2');
    expect(rows[1]).toHaveTextContent('poems.txt:3 too_short: “hi”');
    expect(screen.getByTestId('run-errors')).toHaveTextContent('poems.txt:9 step 2: not text');
    expect(screen.getByRole('link', { name: 'clean poems v1 (data)' })).toHaveAttribute(
      'href',
      '/datasets?dataset=8&version=44',
    );
    expect(screen.getByRole('button', { name: 'Re-run' })).toBeInTheDocument();
    socket.close();
  });

  it('names a deleted recipe without a link and does not offer to run it again', SLOW, async () => {
    // given: the recipe was deleted; the run keeps its name and steps under the old id
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>((input) => {
        const { pathname } = new URL(input as string, 'http://test');
        return Promise.resolve(
          pathname === '/api/v1/recipe-runs/5/'
            ? jsonResponse(finished)
            : jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404),
        );
      }),
    );
    // when
    renderWithProviders(
      <MemoryRouter>
        <RunReportPage runId={5} />
      </MemoryRouter>,
    );
    // then
    expect(await screen.findByTestId('rerun-unavailable')).toHaveTextContent(
      'its recipe was deleted or is no longer shared with you',
    );
    expect(screen.getByTestId('run-recipe')).toHaveTextContent('clean (no longer available)');
    expect(screen.queryByRole('link', { name: 'clean' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Re-run' })).not.toBeInTheDocument();
    expect(screen.getByTestId('run-report')).toBeInTheDocument();
  });
});
