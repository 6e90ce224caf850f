import { screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { NewTrainingRunDialog } from '../new-training-run-dialog';

// The form has two dozen fields; on a busy CI machine jsdom needs time to render them.
const SLOW = { timeout: 30_000 };
const LOADED = { timeout: 10_000 };

const page = (results: unknown[]) => ({
  count: results.length,
  next: null,
  previous: null,
  results,
});

function version(id: number, number: number, status: string) {
  return {
    id,
    dataset: 3,
    number,
    filename: `plays-${number}.txt`,
    format: 'txt',
    sha256: 'x',
    size_bytes: 10,
    stored_bytes: 10,
    status,
    report: {},
    created_at: '2026-01-02T10:00:00Z',
  };
}

function modelVersion(id: number, semver: string, status: string, createdAt: string) {
  return {
    id,
    registered_model: 7,
    model_name: 'poet',
    version: semver,
    stage: 'development',
    status,
    error: '',
    parameters: 1000,
    size_bytes: 4000,
    exports: [],
    created_at: createdAt,
  };
}

function feature(name: string, dtype: string) {
  return { name, dtype, version: 1, description: name, scope: 'record' };
}

const GROUPS = [
  { name: 'basic', features: [feature('chars', 'int'), feature('language', 'str')] },
  {
    name: 'personality',
    features: [feature('flesch_reading_ease', 'float'), feature('formality', 'float')],
  },
  { name: 'embedding', features: [feature('embedding', 'vector')] },
];

// Version 11 has its basic and personality features computed, and the embedding group failed.
const COMPUTED = [
  {
    id: 1,
    dataset_version: 11,
    group: 'basic',
    status: 'succeeded',
    statistics: { chars: { min: 3 }, language: { min: null } },
  },
  {
    id: 2,
    dataset_version: 11,
    group: 'personality',
    status: 'succeeded',
    statistics: { flesch_reading_ease: { min: -20.5 }, formality: { min: 0.1 } },
  },
  { id: 3, dataset_version: 11, group: 'embedding', status: 'failed', statistics: {} },
];

function fakeApi(createAnswer: Response) {
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = new URL(input as string, 'http://test');
    if (init?.method === 'POST') return Promise.resolve(createAnswer);
    if (url.pathname === '/api/v1/datasets/') {
      return Promise.resolve(
        jsonResponse(page([{ id: 3, name: 'shakespeare', version_count: 3, description: '' }])),
      );
    }
    if (url.pathname === '/api/v1/models/') {
      return Promise.resolve(jsonResponse(page([{ id: 7, name: 'poet', version_count: 2 }])));
    }
    if (url.pathname === '/api/v1/models/7/versions/') {
      return Promise.resolve(
        jsonResponse(
          page([
            modelVersion(21, '1.1.0', 'importing', '2026-01-03T10:00:00Z'),
            modelVersion(20, '1.0.0', 'ready', '2026-01-02T10:00:00Z'),
          ]),
        ),
      );
    }
    if (url.pathname === '/api/v1/datasets/3/versions/') {
      return Promise.resolve(
        jsonResponse(
          page([version(12, 3, 'invalid'), version(11, 2, 'valid'), version(10, 1, 'valid')]),
        ),
      );
    }
    if (url.pathname === '/api/v1/feature-groups/') return Promise.resolve(jsonResponse(GROUPS));
    if (url.pathname === '/api/v1/dataset-versions/11/features/') {
      return Promise.resolve(jsonResponse(COMPUTED));
    }
    if (url.pathname === '/api/v1/dataset-versions/10/features/') {
      return Promise.resolve(jsonResponse([]));
    }
    return Promise.resolve(
      jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function renderDialog() {
  return renderWithProviders(
    <MemoryRouter>
      <NewTrainingRunDialog open onOpenChange={vi.fn()} initialDatasetId={3} />
    </MemoryRouter>,
  );
}

describe('NewTrainingRunDialog', () => {
  it('offers only valid versions and sends the defaults as a nested config', SLOW, async () => {
    // given
    const fetchMock = fakeApi(jsonResponse({ id: 1, run: 40 }, 201));
    const { user } = renderDialog();
    await screen.findByRole('option', { name: 'v2: plays-2.txt' }, LOADED);

    // when
    await user.clear(screen.getByRole('spinbutton', { name: 'Steps' }));
    await user.type(screen.getByRole('spinbutton', { name: 'Steps' }), '500');
    await user.click(screen.getByRole('button', { name: 'Start training' }));

    // then
    expect(screen.getByRole('combobox', { name: 'Version' })).toHaveValue('11');
    expect(screen.queryByRole('option', { name: 'v3: plays-3.txt' })).not.toBeInTheDocument();
    await waitFor(() =>
      expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(true),
    );
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    const body = JSON.parse(post?.[1]?.body as string) as {
      dataset_version_id: number;
      config: Record<string, Record<string, unknown>>;
    };
    expect(body.dataset_version_id).toBe(11);
    expect(body.config.model).toEqual({ preset: 'nanogpt-char' });
    expect(body.config.train).toMatchObject({ max_iters: 500, batch_size: 12, precision: 'auto' });
    expect(body.config.optim).toMatchObject({ lr: 0.001, schedule: 'cosine', warmup_iters: 100 });
    expect(body.config.data).toEqual({ tokenizer: 'char', bpe_vocab_size: 8192 });
    // one process on one node, as before: nothing to ask for
    expect(body).not.toHaveProperty('nproc_per_node');
    expect(body).not.toHaveProperty('nnodes');
  });

  it('asks for processes per node and nodes from the advanced section', SLOW, async () => {
    // given
    const fetchMock = fakeApi(jsonResponse({ id: 1, run: 40 }, 201));
    const { user } = renderDialog();
    await screen.findByRole('option', { name: 'v2: plays-2.txt' }, LOADED);

    // when
    await user.click(screen.getByText('Advanced'));
    await user.clear(screen.getByRole('spinbutton', { name: 'Processes per node' }));
    await user.type(screen.getByRole('spinbutton', { name: 'Processes per node' }), '2');
    await user.clear(screen.getByRole('spinbutton', { name: 'Nodes' }));
    await user.type(screen.getByRole('spinbutton', { name: 'Nodes' }), '3');
    await user.selectOptions(
      screen.getByRole('combobox', { name: 'Processes share the work by' }),
      'fsdp',
    );
    await user.click(screen.getByRole('button', { name: 'Start training' }));

    // then
    await waitFor(() =>
      expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(true),
    );
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    const body = JSON.parse(post?.[1]?.body as string) as Record<string, unknown>;
    expect(body).toMatchObject({
      nproc_per_node: 2,
      nnodes: 3,
      config: { train: { distributed: 'fsdp' } },
    });
  });

  it('names another tokenizer only as one of the user’s ready model versions', SLOW, async () => {
    // given
    const fetchMock = fakeApi(jsonResponse({ id: 1, run: 40 }, 201));
    const { user } = renderDialog();
    await screen.findByRole('option', { name: 'v2: plays-2.txt' }, LOADED);

    // when
    await user.selectOptions(
      screen.getByRole('combobox', { name: 'Tokenizer' }),
      'The tokenizer of one of my models',
    );
    await screen.findByRole('option', { name: 'poet 1.0.0' }, LOADED);
    await user.click(screen.getByRole('button', { name: 'Start training' }));

    // then
    expect(screen.queryByRole('option', { name: 'poet 1.1.0' })).not.toBeInTheDocument();
    await waitFor(() =>
      expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(true),
    );
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    const body = JSON.parse(post?.[1]?.body as string) as {
      tokenizer_model_version_id: number;
      config: Record<string, Record<string, unknown>>;
    };
    expect(body.tokenizer_model_version_id).toBe(20);
    expect(body.config.data).toMatchObject({ tokenizer: 'model_version' });
  });

  it(
    'orders records by a computed number feature and validates on another version',
    SLOW,
    async () => {
      // given
      const fetchMock = fakeApi(jsonResponse({ id: 1, run: 40 }, 201));
      const { user } = renderDialog();
      await screen.findByRole('option', { name: 'flesch_reading_ease' }, LOADED);
      const orderBy = screen.getByRole('combobox', { name: 'Order records by' });
      const weightBy = screen.getByRole('combobox', { name: 'Draw records in proportion to' });

      // when
      await user.selectOptions(orderBy, 'flesch_reading_ease');
      await user.selectOptions(screen.getByRole('combobox', { name: 'Order' }), 'desc');
      await user.selectOptions(weightBy, 'chars');
      await user.selectOptions(
        screen.getByRole('combobox', { name: 'Validate on' }),
        'shakespeare',
      );
      await user.selectOptions(
        await screen.findByRole('combobox', { name: 'Validation version' }, LOADED),
        'v1: plays-1.txt',
      );
      await user.click(screen.getByRole('button', { name: 'Start training' }));

      // then only computed number features were offered, and weights never below zero
      const offered = (select: HTMLElement) =>
        Array.from(select.querySelectorAll('option')).map((option) => option.value);
      expect(offered(orderBy)).toEqual(['', 'chars', 'flesch_reading_ease', 'formality']);
      expect(offered(weightBy)).toEqual(['', 'chars', 'formality']);
      await waitFor(() =>
        expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(true),
      );
      const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
      const body = JSON.parse(post?.[1]?.body as string) as Record<string, unknown>;
      expect(body).toMatchObject({
        dataset_version_id: 11,
        val_dataset_version_id: 10,
        curriculum: { feature: 'flesch_reading_ease', order: 'desc' },
        weight_by: { feature: 'chars' },
      });
    },
  );

  it('offers no order for a version without computed features', SLOW, async () => {
    // given
    fakeApi(jsonResponse({ id: 1, run: 40 }, 201));
    const { user } = renderDialog();
    await screen.findByRole('option', { name: 'flesch_reading_ease' }, LOADED);

    // when the other version is picked
    await user.selectOptions(screen.getByRole('combobox', { name: 'Version' }), 'v1: plays-1.txt');

    // then there is nothing to order by, and the form says how to get it
    const orderBy = screen.getByRole('combobox', { name: 'Order records by' });
    await waitFor(() => expect(orderBy).toBeDisabled(), LOADED);
    expect(orderBy).toHaveAccessibleDescription(/Compute the version’s features/);
  });

  it(
    'shows the server’s message under the field it is about, opening Advanced for it',
    SLOW,
    async () => {
      // given
      fakeApi(
        jsonResponse(
          {
            error: {
              code: 'validation_error',
              message: 'config.model.n_head: must divide n_embd',
              fields: { 'config.model.n_head': ['must divide n_embd'] },
            },
          },
          400,
        ),
      );
      const { user } = renderDialog();
      await screen.findByRole('option', { name: 'v2: plays-2.txt' }, LOADED);

      // when
      await user.click(screen.getByRole('button', { name: 'Start training' }));

      // then
      const heads = screen.getByRole('spinbutton', { name: 'Attention heads' });
      await waitFor(() => expect(heads).toHaveAttribute('aria-invalid', 'true'), LOADED);
      expect(heads.closest('details')).toHaveAttribute('open');
      expect(heads).toHaveAttribute('aria-invalid', 'true');
      expect(heads).toHaveAccessibleDescription(/must divide n_embd/);
    },
  );
});
