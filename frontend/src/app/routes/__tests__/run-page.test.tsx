import { act, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { RunPage } from '../../../features/experiments/components/run-page';
import { RunControls } from '../../../features/training/components/run-controls';
import { FakeSocket } from '../../../testing/fake-socket';
import { jsonResponse, renderWithProviders } from '../../../testing/render';

// uPlot needs a canvas; the chart's header (title and latest values) is what is checked here.
vi.mock('uplot', () => import('../../../testing/uplot-stub'));

const run = {
  id: 5,
  experiment: 2,
  name: 'nanogpt-char on shakespeare v1',
  status: 'running',
  params: { 'optim.lr': 0.001, 'model.preset': 'nanogpt-char' },
  tags: { kind: 'training' },
  notes: '',
  metrics: {},
  created_at: '2026-01-02T10:00:00Z',
  updated_at: '2026-01-02T10:00:00Z',
  started_at: '2026-01-02T10:00:00Z',
  finished_at: null,
};

const training = {
  id: 9,
  run: 5,
  experiment: 2,
  name: run.name,
  dataset_version: 1,
  config: {},
  status: 'running',
  step: 20,
  max_steps: 200,
  eta_seconds: 90,
  tokens_per_s: 1500,
  best_val_loss: null,
  error: '',
  attempts: 1,
  cancel_requested: false,
  runs_ahead: null,
  cpu_seconds: 42.4,
  gpu_seconds: 0,
  nproc_per_node: 1,
  nnodes: 1,
  node_status: {},
  queued_at: '2026-01-02T10:00:00Z',
  created_at: '2026-01-02T10:00:00Z',
  updated_at: '2026-01-02T10:00:00Z',
};

function fakeApi(overrides: Record<string, unknown> = {}) {
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = new URL(input as string, 'http://test');
    const method = init?.method ?? 'GET';
    const page = (results: unknown[]) => ({
      count: results.length,
      next: null,
      previous: null,
      results,
    });
    if (method === 'POST' && url.pathname === '/api/v1/training-runs/9/cancel/') {
      return Promise.resolve(jsonResponse({ ...training, cancel_requested: true }));
    }
    const routes: Record<string, unknown> = {
      '/api/v1/runs/5/': run,
      '/api/v1/training-runs/': page([{ ...training, id: 8, run: 4 }, training]),
      '/api/v1/runs/5/metrics/': page([
        { key: 'loss', count: 2, last: 2.8, last_step: 20, min: 2.8, max: 3, total_points: 2 },
      ]),
      '/api/v1/runs/5/metrics/loss/': {
        key: 'loss',
        steps: [10, 20],
        values: [3, 2.8],
        min: [3, 2.8],
        max: [3, 2.8],
        total_points: 2,
      },
      '/api/v1/runs/5/artifacts/': page([]),
      '/api/v1/training-runs/9/log/': { lines: [] },
      ...overrides,
    };
    const body = routes[url.pathname];
    return Promise.resolve(
      body === undefined
        ? jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404)
        : jsonResponse(body),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function renderRunPage() {
  const sockets: FakeSocket[] = [];
  const createSocket = (url: string) => {
    expect(url).toMatch(/\/ws\/runs\/5\/$/);
    const socket = new FakeSocket();
    sockets.push(socket);
    return socket as unknown as WebSocket;
  };
  const result = renderWithProviders(
    <MemoryRouter>
      <RunPage
        runId={5}
        createSocket={createSocket}
        controls={(training) => <RunControls training={training} />}
      />
    </MemoryRouter>,
  );
  return { ...result, socket: () => sockets[sockets.length - 1] as FakeSocket };
}

// The page mounts charts, tables and a socket; jsdom on a busy machine needs the time.
const SLOW = { timeout: 30_000 };

describe('RunPage', () => {
  it(
    'starts from the stored curve and progress, then follows the live socket without reloading',
    SLOW,
    async () => {
      // given
      const fetchMock = fakeApi();
      const { socket } = renderRunPage();
      const lossChart = await screen.findByTestId('live-chart-loss');
      await waitFor(() => expect(lossChart).toHaveTextContent('train: 2.8'));
      expect(screen.getByTestId('run-progress')).toHaveTextContent('Step 20 of 200');
      expect(screen.getByTestId('run-status')).toHaveTextContent('running');
      act(() => socket().accept());
      const requestsBefore = fetchMock.mock.calls.length;

      // when
      act(() => {
        socket().emit({
          type: 'run.metrics',
          run: 5,
          points: [
            { key: 'loss', step: 30, value: 2.61, timestamp: 1 },
            { key: 'val_loss', step: 30, value: 2.7, timestamp: 1 },
          ],
        });
        socket().emit({
          type: 'run.progress',
          run: 5,
          step: 30,
          max_steps: 200,
          eta_seconds: 600,
          tokens_per_s: 2100.4,
          best_val_loss: 2.7,
        });
        socket().emit({ type: 'run.log', run: 5, line: 'step 30: loss 2.6100' });
      });

      // then
      expect(lossChart).toHaveTextContent('train: 2.61');
      expect(lossChart).toHaveTextContent('validation: 2.7');
      await waitFor(() =>
        expect(screen.getByTestId('run-progress')).toHaveTextContent(
          'Step 30 of 200 · 15% · 10 min left',
        ),
      );
      expect(screen.getByTestId('run-log')).toHaveTextContent('step 30: loss 2.6100');
      const figures = screen.getByRole('region', { name: 'Training progress' });
      expect(within(figures).getByText('2,100')).toBeInTheDocument();
      expect(within(figures).getByText('2.7000')).toBeInTheDocument();
      expect(fetchMock.mock.calls.length).toBe(requestsBefore);

      // when
      act(() => socket().emit({ type: 'run.status', run: 5, status: 'finished' }));

      // then
      await waitFor(() => expect(screen.getByTestId('run-status')).toHaveTextContent('finished'));
    },
  );

  it('asks the server to cancel, and says the run is stopping', SLOW, async () => {
    // given
    const fetchMock = fakeApi();
    const { user } = renderRunPage();
    const cancel = await screen.findByRole('button', { name: 'Cancel run' });

    // when: the first click only asks
    await user.click(cancel);

    // then
    const dialog = await screen.findByRole('alertdialog', { name: 'Cancel this training run?' });
    expect(dialog).toHaveTextContent('keeps its last checkpoint');
    expect(fetchMock).not.toHaveBeenCalledWith(
      '/api/v1/training-runs/9/cancel/',
      expect.anything(),
    );

    // when
    await user.click(within(dialog).getByRole('button', { name: 'Cancel run' }));

    // then
    expect(await screen.findByRole('button', { name: 'Stopping…' })).toBeDisabled();
    expect(fetchMock).toHaveBeenCalledWith(
      '/api/v1/training-runs/9/cancel/',
      expect.objectContaining({ method: 'POST' }),
    );
    const artifacts = screen.getByRole('region', { name: 'Artifacts' });
    expect(within(artifacts).getByTestId('artifacts-empty')).toBeInTheDocument();
  });
});

describe('RunPage after a reload', () => {
  it(
    'shows the kept log of a finished run, its throughput, best loss and every chart titled in words',
    SLOW,
    async () => {
      // given: a finished run whose page is opened afresh
      fakeApi({
        '/api/v1/runs/5/': { ...run, status: 'finished' },
        '/api/v1/training-runs/': {
          count: 1,
          next: null,
          previous: null,
          results: [
            {
              ...training,
              status: 'finished',
              step: 200,
              tokens_per_s: 1234.5,
              best_val_loss: 1.98761,
            },
          ],
        },
        '/api/v1/runs/5/metrics/': {
          count: 2,
          next: null,
          previous: null,
          results: [
            {
              key: 'memory_mb',
              count: 1,
              last: 512,
              last_step: 200,
              min: 512,
              max: 512,
              total_points: 1,
            },
            {
              key: 'perplexity',
              count: 1,
              last: 7.3,
              last_step: 200,
              min: 7.3,
              max: 7.3,
              total_points: 1,
            },
          ],
        },
        '/api/v1/runs/5/metrics/memory_mb/': {
          key: 'memory_mb',
          steps: [200],
          values: [512],
          min: [512],
          max: [512],
          total_points: 1,
        },
        '/api/v1/runs/5/metrics/perplexity/': {
          key: 'perplexity',
          steps: [200],
          values: [7.3],
          min: [7.3],
          max: [7.3],
          total_points: 1,
        },
        '/api/v1/runs/5/artifacts/': {
          count: 1,
          next: null,
          previous: null,
          results: [
            {
              id: 3,
              run: 5,
              path: 'checkpoints/last/model.safetensors',
              size: 2048,
              sha256: 'a'.repeat(64),
              created_at: '2026-01-02T10:05:00Z',
              updated_at: '2026-01-03T09:30:00Z',
            },
          ],
        },
        '/api/v1/training-runs/9/log/': {
          lines: [
            { id: 1, line: 'step 190/200: loss 2.0100', created_at: '2026-01-02T10:04:00Z' },
            { id: 2, line: 'completed at step 200', created_at: '2026-01-02T10:05:00Z' },
          ],
        },
      });

      // when
      const { socket } = renderRunPage();

      // then
      await waitFor(() =>
        expect(screen.getByTestId('run-log')).toHaveTextContent(
          'step 190/200: loss 2.0100 completed at step 200',
        ),
      );
      expect(screen.getByText('1,235')).toBeInTheDocument();
      expect(screen.getByText('1.9876')).toBeInTheDocument();
      expect(await screen.findByTestId('live-chart-memory_mb')).toHaveTextContent(
        'Peak memory (MB)',
      );
      expect(screen.getByTestId('live-chart-perplexity')).toHaveTextContent('perplexity: 7.3');
      const saved = within(screen.getByTestId('artifact-row')).getByText(/2026|Jan/);
      expect(saved).toHaveAttribute('dateTime', '2026-01-03T09:30:00Z');

      // when: a line the stored log already has arrives again, then a new one
      act(() => socket().accept());
      act(() => {
        socket().emit({ type: 'run.log', run: 5, id: 2, line: 'completed at step 200' });
        socket().emit({ type: 'run.log', run: 5, id: 3, line: 'resuming from last at step 200' });
      });

      // then
      expect(screen.getByTestId('run-log').textContent).toBe(
        'step 190/200: loss 2.0100\ncompleted at step 200\nresuming from last at step 200',
      );
    },
  );

  it('says how many runs wait ahead of a queued run for a slot', SLOW, async () => {
    // given
    fakeApi({
      '/api/v1/runs/5/': { ...run, status: 'queued' },
      '/api/v1/training-runs/': {
        count: 1,
        next: null,
        previous: null,
        results: [{ ...training, status: 'queued', step: 0, tokens_per_s: null, runs_ahead: 2 }],
      },
    });

    // when
    renderRunPage();

    // then
    expect(await screen.findByTestId('run-progress')).toHaveTextContent(
      'Waiting for a slot (2 ahead)',
    );
    expect(screen.getByTestId('run-cpu-seconds')).toHaveTextContent('42');
  });

  it('shows the processes of a multi-node run and how each node is doing', SLOW, async () => {
    // given a run of 2 processes on each of 2 nodes, one of which has stopped
    fakeApi({
      '/api/v1/training-runs/': {
        count: 1,
        next: null,
        previous: null,
        results: [
          {
            ...training,
            nproc_per_node: 2,
            nnodes: 2,
            node_status: { '1': 'exited 1', '0': 'training' },
          },
        ],
      },
    });

    // when
    renderRunPage();

    // then
    expect(await screen.findByTestId('run-processes')).toHaveTextContent(
      '2 per node × 2 nodes (node 0 training, node 1 exited 1)',
    );
  });
});
