import { screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { RecipeBuilder } from '../recipe-builder';

// Pages with several forms render slowly in jsdom on a busy machine.
const SLOW = { timeout: 30_000 };

const page = (results: unknown[]) => ({
  count: results.length,
  next: null,
  previous: null,
  results,
});

interface Sent {
  path: string;
  method: string;
  body: unknown;
}

function fakeApi(answers: Record<string, () => Response>) {
  const sent: Sent[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>((input, init) => {
      const { pathname } = new URL(input as string, 'http://test');
      const method = init?.method ?? 'GET';
      sent.push({
        path: pathname,
        method,
        body: init?.body ? JSON.parse(init.body as string) : null,
      });
      const routes: Record<string, () => Response> = {
        'GET /api/v1/datasets/': () =>
          jsonResponse(page([{ id: 3, name: 'poems', description: '', version_count: 1 }])),
        'GET /api/v1/datasets/3/versions/': () =>
          jsonResponse(
            page([{ id: 30, dataset: 3, number: 1, filename: 'poems.txt', status: 'valid' }]),
          ),
        ...answers,
      };
      const answer = routes[`${method} ${pathname}`];
      return Promise.resolve(answer ? answer() : jsonResponse({}, 404));
    }),
  );
  return sent;
}

function renderBuilder(onSaved = vi.fn()) {
  const view = renderWithProviders(
    <MemoryRouter>
      <RecipeBuilder recipe={null} onSaved={onSaved} />
    </MemoryRouter>,
  );
  return { ...view, onSaved };
}

async function addStep(user: ReturnType<typeof renderBuilder>['user'], label: string) {
  await user.selectOptions(screen.getByLabelText('Step to add'), label);
  await user.click(screen.getByRole('button', { name: 'Add step' }));
}

function stepTitles(): string[] {
  return screen
    .getAllByTestId('recipe-step')
    .map((step) => within(step).getByRole('heading').textContent ?? '');
}

describe('RecipeBuilder', () => {
  it('adds, reorders and configures steps and saves them in that order', SLOW, async () => {
    // given
    const sent = fakeApi({
      'POST /api/v1/recipes/': () => jsonResponse({ id: 9, name: 'clean', version: 1 }, 201),
    });
    const { user, onSaved } = renderBuilder();
    await user.type(screen.getByLabelText('Name'), 'clean');
    // when
    await addStep(user, 'Exact deduplication');
    await addStep(user, 'Normalize');
    await addStep(user, 'Length filter');
    await user.click(screen.getByRole('button', { name: 'Move step 2 up' }));
    await user.type(screen.getByLabelText('Step 3 Minimum'), '10');
    await user.click(screen.getByLabelText('Step 1 Unicode NFKC'));
    await user.click(screen.getByRole('button', { name: 'Create recipe' }));
    // then
    expect(stepTitles()).toEqual(['1. Normalize', '2. Exact deduplication', '3. Length filter']);
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const post = sent.find((request) => request.method === 'POST');
    expect(post?.body).toEqual({
      name: 'clean',
      description: '',
      steps: [
        { type: 'normalize', nfkc: false, whitespace: true, control: true },
        { type: 'dedup_exact' },
        { type: 'length_filter', unit: 'chars', min: 10 },
      ],
    });
  });

  it('offers the registry’s number features for a feature filter', SLOW, async () => {
    // given
    const feature = (name: string, dtype: string) => ({
      name,
      dtype,
      version: 1,
      description: `${name} of the text`,
      scope: 'record',
    });
    const sent = fakeApi({
      'GET /api/v1/feature-groups/': () =>
        jsonResponse([
          {
            name: 'basic',
            features: [feature('words', 'int'), feature('language', 'str')],
          },
          {
            name: 'personality',
            features: [feature('vader_compound', 'float')],
          },
          { name: 'embedding', features: [feature('embedding', 'vector')] },
        ]),
      'POST /api/v1/recipes/': () => jsonResponse({ id: 9, name: 'calm', version: 1 }, 201),
    });
    const { user, onSaved } = renderBuilder();
    await user.type(screen.getByLabelText('Name'), 'calm');
    await addStep(user, 'Feature filter');
    const select = screen.getByLabelText('Step 1 Feature');
    await within(select).findByRole('option', { name: 'vader_compound' });
    // when
    await user.selectOptions(select, 'vader_compound');
    await user.type(screen.getByLabelText('Step 1 Minimum'), '0.2');
    await user.click(screen.getByRole('button', { name: 'Create recipe' }));
    // then
    expect(
      within(select)
        .getAllByRole('option')
        .map((option) => option.textContent),
    ).toEqual(['words', 'vader_compound']);
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(sent.find((request) => request.method === 'POST')?.body).toMatchObject({
      steps: [{ type: 'feature_filter', feature: 'vader_compound', min: 0.2 }],
    });
  });

  it('removes a step', SLOW, async () => {
    // given
    fakeApi({});
    const { user } = renderBuilder();
    await addStep(user, 'Normalize');
    await addStep(user, 'Sample');
    // when
    await user.click(screen.getByRole('button', { name: 'Remove step 1' }));
    // then
    expect(stepTitles()).toEqual(['1. Sample']);
  });

  it('shows the server’s message under the field of the step it refused', SLOW, async () => {
    // given
    fakeApi({
      'POST /api/v1/recipes/': () =>
        jsonResponse(
          {
            error: {
              code: 'invalid',
              message: "step 2 (regex_filter), field 'pattern': does not compile",
              fields: { 'steps.1.pattern': ['does not compile'] },
            },
          },
          400,
        ),
    });
    const { user } = renderBuilder();
    await user.type(screen.getByLabelText('Name'), 'bad');
    await addStep(user, 'Normalize');
    await addStep(user, 'Regex filter');
    await user.type(screen.getByLabelText('Step 2 Pattern'), '(unclosed');
    // when
    await user.click(screen.getByRole('button', { name: 'Create recipe' }));
    // then
    const step = screen.getAllByTestId('recipe-step')[1]!;
    expect(await within(step).findByText('does not compile')).toBeInTheDocument();
    expect(within(step).getByLabelText('Step 2 Pattern')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('alert')).toHaveTextContent("step 2 (regex_filter), field 'pattern'");
  });

  it('previews the first records after each step on the chosen input', SLOW, async () => {
    // given
    const sent = fakeApi({
      'POST /api/v1/recipes/preview/': () =>
        jsonResponse({
          steps: [
            {
              index: 0,
              type: 'normalize',
              records_in: 4,
              records_out: 4,
              records: [{ text: 'a b' }],
              stopped: false,
            },
            {
              index: 1,
              type: 'dedup_exact',
              records_in: 4,
              records_out: 3,
              records: [{ text: 'a b' }],
              stopped: false,
            },
          ],
        }),
    });
    const { user } = renderBuilder();
    await addStep(user, 'Normalize');
    await addStep(user, 'Exact deduplication');
    await screen.findByRole('option', { name: 'v1 · poems.txt' });
    await user.click(screen.getByRole('button', { name: 'Add input' }));
    // when
    await user.click(screen.getByRole('button', { name: 'Preview' }));
    // then
    const steps = screen.getAllByTestId('recipe-step');
    expect(await within(steps[1]!).findByText('Preview: 4 in → 3 out')).toBeInTheDocument();
    expect(within(steps[0]!).getByText('Preview: 4 in → 4 out')).toBeInTheDocument();
    expect(sent.find((request) => request.path === '/api/v1/recipes/preview/')?.body).toMatchObject(
      {
        inputs: [30],
      },
    );
    // when the steps change, the preview no longer describes them
    await user.click(screen.getByRole('button', { name: 'Remove step 2' }));
    expect(screen.queryByTestId('step-preview')).not.toBeInTheDocument();
    expect(screen.getByText('The steps changed since the last preview.')).toBeInTheDocument();
  });

  it('says which steps the preview’s time budget ran out in', SLOW, async () => {
    // given
    fakeApi({
      'POST /api/v1/recipes/preview/': () =>
        jsonResponse({
          steps: [
            {
              index: 0,
              type: 'normalize',
              records_in: 900,
              records_out: 900,
              records: [],
              stopped: false,
            },
            {
              index: 1,
              type: 'dedup_near',
              records_in: 300,
              records_out: 280,
              records: [],
              stopped: true,
            },
          ],
        }),
    });
    const { user } = renderBuilder();
    await addStep(user, 'Normalize');
    await addStep(user, 'Near-duplicate removal');
    await screen.findByRole('option', { name: 'v1 · poems.txt' });
    await user.click(screen.getByRole('button', { name: 'Add input' }));
    // when
    await user.click(screen.getByRole('button', { name: 'Preview' }));
    // then
    const steps = screen.getAllByTestId('recipe-step');
    expect(await within(steps[1]!).findByText('Preview: 300 in → 280 out')).toBeInTheDocument();
    expect(
      within(steps[1]!).getByText(
        'Preview stopped after the time budget; showing what was reached.',
      ),
    ).toBeInTheDocument();
    expect(within(steps[0]!).queryByText(/Preview stopped/)).not.toBeInTheDocument();
  });

  it('names a problem with the inputs, which no step shows, above the buttons', SLOW, async () => {
    // given
    fakeApi({
      'POST /api/v1/recipes/preview/': () =>
        jsonResponse(
          {
            error: {
              code: 'invalid',
              message: 'Invalid input.',
              fields: { inputs: ['mix has 2 weights but 1 input'] },
            },
          },
          400,
        ),
    });
    const { user } = renderBuilder();
    await addStep(user, 'Mix');
    await screen.findByRole('option', { name: 'v1 · poems.txt' });
    await user.click(screen.getByRole('button', { name: 'Add input' }));
    // when
    await user.click(screen.getByRole('button', { name: 'Preview' }));
    // then
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'inputs: mix has 2 weights but 1 input',
    );
  });
});
