import { screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { ModelsPage } from '../models-page';

// Pages with several queries render slowly in jsdom on a busy machine.
const SLOW = { timeout: 30_000 };
const LOADED = { timeout: 10_000 };

const page = (results: unknown[]) => ({
  count: results.length,
  next: null,
  previous: null,
  results,
});

const smol = {
  id: 5,
  name: 'SmolLM2-135M-Instruct',
  description: '',
  version_count: 1,
  access_role: 'owner',
  created_at: '2026-01-01T10:00:00Z',
  updated_at: '2026-01-01T10:00:00Z',
};

const version = {
  id: 3,
  registered_model: 5,
  model_name: 'SmolLM2-135M-Instruct',
  version: '1.0.0',
  description: '',
  source: 'training_run',
  stage: 'development',
  status: 'ready',
  error: '',
  training_run: 9,
  dataset_version: 3,
  architecture: { arch: 'gpt2', block_size: 64 },
  parameters: 1000,
  sha256: '',
  size_bytes: 4000,
  exports: [],
  created_at: '2026-01-01T10:00:00Z',
  updated_at: '2026-01-01T10:00:00Z',
};

const charRun = {
  id: 9,
  run: 21,
  experiment: 4,
  name: 'char-shakespeare: tiny/64',
  status: 'finished',
  best_val_loss: 1.5,
  created_at: '2026-01-01T09:00:00Z',
};

/** The server, answering GETs from `routes` and recording every POST with its body. */
function fakeApi(routes: Record<string, unknown>) {
  const posts: { path: string; body: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>((input, init) => {
      const { pathname } = new URL(input as string, 'http://test');
      if (init?.method === 'POST') {
        posts.push({ path: pathname, body: init.body ? JSON.parse(init.body as string) : null });
        const answer = routes[`POST ${pathname}`];
        return Promise.resolve(jsonResponse(answer, 201));
      }
      if (pathname.endsWith('/stage/')) return Promise.resolve(jsonResponse([]));
      return Promise.resolve(jsonResponse(routes[pathname] ?? page([])));
    }),
  );
  return posts;
}

function renderPage(url = '/models?model=5&version=3') {
  return renderWithProviders(
    <MemoryRouter initialEntries={[url]}>
      <ModelsPage />
    </MemoryRouter>,
  );
}

const baseRoutes = {
  '/api/v1/models/': page([smol]),
  '/api/v1/models/5/versions/': page([version]),
  '/api/v1/training-runs/': page([charRun]),
};

describe('ModelsPage', () => {
  it('marks a model shared with you apart from your own', SLOW, async () => {
    // given
    const shared = { ...smol, id: 6, name: 'team-model', access_role: 'read' };
    fakeApi({ ...baseRoutes, '/api/v1/models/': page([smol, shared]) });
    // when
    renderPage('/models');
    // then
    const items = await screen.findAllByTestId('model-item', {}, LOADED);
    expect(items.map((item) => item.textContent?.trim())).toEqual([
      'SmolLM2-135M-Instruct1 version',
      'team-model1 version shared with you to read',
    ]);
  });

  it(
    'registers a run as a new model named after the run, not the model on screen',
    SLOW,
    async () => {
      // given the SmolLM2 model selected and a finished char-level run
      const posts = fakeApi({
        ...baseRoutes,
        'POST /api/v1/model-versions/from-run/': { ...version, id: 8, model_name: 'x' },
      });
      const { user } = renderPage();
      await screen.findByRole('heading', { name: /SmolLM2-135M-Instruct/ }, LOADED);

      // when the user opens the dialog and registers at once
      await user.click(screen.getByRole('button', { name: 'Register from training run' }));
      const dialog = await screen.findByRole('dialog', {}, LOADED);
      const name = await within(dialog).findByLabelText('Model name', {}, LOADED);

      // then the name comes from the run (made a valid model name), and that is what is filed
      expect(name).toHaveValue('char-shakespeare- tiny-64');
      expect(within(dialog).getByLabelText('Register as')).toHaveValue('');
      await user.click(within(dialog).getByRole('button', { name: 'Register' }));
      await waitFor(() => expect(posts).toHaveLength(1));
      expect(posts[0]?.body).toMatchObject({
        training_run_id: 9,
        name: 'char-shakespeare- tiny-64',
      });
    },
  );

  it('registers under the name the user types instead', SLOW, async () => {
    // given
    const posts = fakeApi({
      ...baseRoutes,
      'POST /api/v1/model-versions/from-run/': { ...version, id: 8 },
    });
    const { user } = renderPage();
    await screen.findByRole('heading', { name: /SmolLM2-135M-Instruct/ }, LOADED);
    await user.click(screen.getByRole('button', { name: 'Register from training run' }));
    const dialog = await screen.findByRole('dialog', {}, LOADED);
    const name = await within(dialog).findByLabelText('Model name', {}, LOADED);

    // when
    await user.clear(name);
    await user.type(name, 'richard');
    await user.click(within(dialog).getByRole('button', { name: 'Register' }));

    // then
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0]?.body).toMatchObject({ name: 'richard' });
  });

  it('adds a version to an existing model only when the user picks it', SLOW, async () => {
    // given
    const posts = fakeApi({
      ...baseRoutes,
      'POST /api/v1/model-versions/from-run/': { ...version, id: 8 },
    });
    const { user } = renderPage();
    await screen.findByRole('heading', { name: /SmolLM2-135M-Instruct/ }, LOADED);
    await user.click(screen.getByRole('button', { name: 'Register from training run' }));
    const dialog = await screen.findByRole('dialog', {}, LOADED);
    await within(dialog).findByLabelText('Model name', {}, LOADED);

    // when
    await user.selectOptions(
      within(dialog).getByLabelText('Register as'),
      'A new version of SmolLM2-135M-Instruct',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Register' }));

    // then
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0]?.body).toMatchObject({ name: 'SmolLM2-135M-Instruct' });
    expect(within(dialog).queryByLabelText('Model name')).toBeNull();
  });

  it('says the starter model is already there instead of adding it again', SLOW, async () => {
    // given a server that already has the starter model importing
    fakeApi({
      ...baseRoutes,
      'POST /api/v1/model-versions/starter/': {
        ...version,
        source: 'starter',
        status: 'importing',
        created: false,
      },
    });
    const { user } = renderPage();
    await screen.findByRole('heading', { name: /SmolLM2-135M-Instruct/ }, LOADED);

    // when
    await user.click(screen.getByRole('button', { name: 'Add the starter model' }));

    // then
    expect(
      await screen.findByText('You already have SmolLM2-135M-Instruct', {}, LOADED),
    ).toBeInTheDocument();
    expect(screen.getByText('Version 1.0.0 is still being imported; its status updates here.'));
  });

  it('shows lineage by name and the dataset version number users see', SLOW, async () => {
    // given a version trained on version 1 (id 3) of the "shakespeare" dataset
    fakeApi({
      ...baseRoutes,
      '/api/v1/model-versions/3/lineage/': {
        model_version: 3,
        training_run: 9,
        run: 21,
        run_name: 'char-shakespeare',
        experiment: 4,
        experiment_name: 'plays',
        dataset_version: 3,
        dataset_version_number: 1,
        dataset: 3,
        dataset_name: 'shakespeare',
      },
    });

    // when
    renderPage();

    // then
    const lineage = await screen.findByTestId('lineage', {}, LOADED);
    expect(lineage).toHaveTextContent('char-shakespeare in plays');
    expect(within(lineage).getByRole('link', { name: 'shakespeare v1' })).toHaveAttribute(
      'href',
      '/datasets?dataset=3&version=3',
    );
    expect(lineage).not.toHaveTextContent('Dataset 3');
  });
});
