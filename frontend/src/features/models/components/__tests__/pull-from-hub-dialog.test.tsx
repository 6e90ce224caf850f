import { screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { PullFromHubDialog } from '../pull-from-hub-dialog';

const LOADED = { timeout: 10_000 };

function inspection(overrides: Record<string, unknown> = {}) {
  const weights = { name: 'model.safetensors', size: 2_000_000, sha256: 'a'.repeat(64) };
  return {
    repo_id: 'acme/tiny-llama',
    revision: 'main',
    commit_sha: 'c'.repeat(40),
    kind: 'hf',
    files: [weights],
    download: [weights],
    gguf_files: [],
    filename: '',
    license: 'apache-2.0',
    gated: false,
    card: '# Tiny llama\n\nIt answers questions.',
    architecture: 'llama',
    supported: true,
    total_bytes: 2_000_000,
    problem: '',
    problem_code: '',
    ...overrides,
  };
}

/** The server: answers inspect with `inspect(body)` and pull with an importing version. */
function fakeApi(inspect: (body: Record<string, string>) => Response) {
  const calls: { path: string; body: Record<string, string> }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>((input, init) => {
      const { pathname } = new URL(input as string, 'http://test');
      const body = JSON.parse((init?.body as string) ?? '{}') as Record<string, string>;
      calls.push({ path: pathname, body });
      if (pathname.endsWith('/hub/inspect/')) return Promise.resolve(inspect(body));
      return Promise.resolve(jsonResponse({ id: 41, version: '1.1.0', status: 'importing' }, 201));
    }),
  );
  return calls;
}

function renderDialog() {
  const onPulled = vi.fn();
  const rendered = renderWithProviders(
    <PullFromHubDialog open onOpenChange={() => undefined} modelId={7} onPulled={onPulled} />,
  );
  return { ...rendered, onPulled };
}

afterEach(() => vi.unstubAllGlobals());

describe('PullFromHubDialog', () => {
  it('shows license, card, size and architecture before pulling, then pulls what it showed', async () => {
    // given a repo the hub can serve
    const calls = fakeApi(() => jsonResponse(inspection()));
    const { user, onPulled } = renderDialog();
    // when the user inspects it
    await user.type(screen.getByLabelText('Repository'), 'acme/tiny-llama');
    expect(screen.getByRole('button', { name: 'Pull' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Inspect' }));
    // then they see what they would import
    const summary = await screen.findByTestId('hub-inspection', {}, LOADED);
    expect(summary).toHaveTextContent('apache-2.0');
    expect(summary).toHaveTextContent('llama');
    expect(summary).toHaveTextContent('supported');
    expect(summary).toHaveTextContent('2.0 MB in 1 file');
    expect(screen.getByTestId('hub-card')).toHaveTextContent('It answers questions.');
    // and when they pull, the version comes back to the page
    await user.click(screen.getByRole('button', { name: 'Pull' }));
    await waitFor(() => expect(onPulled).toHaveBeenCalled(), LOADED);
    expect(calls.at(-1)).toEqual({
      path: '/api/v1/models/7/hub/pull/',
      body: { repo_id: 'acme/tiny-llama', revision: 'main', filename: '' },
    });
  });

  it('asks for the GGUF file when the repo has several and inspects the one chosen', async () => {
    // given a repo of two GGUF files
    const calls = fakeApi((body) =>
      jsonResponse(
        body.filename
          ? inspection({
              kind: 'gguf',
              filename: body.filename,
              gguf_files: ['a.Q4_0.gguf', 'a.Q8_0.gguf'],
            })
          : inspection({
              kind: 'gguf',
              gguf_files: ['a.Q4_0.gguf', 'a.Q8_0.gguf'],
              architecture: '',
              supported: false,
              problem: 'acme/tiny-llama has 2 GGUF files: choose one',
              problem_code: 'not_pullable',
            }),
      ),
    );
    const { user } = renderDialog();
    await user.type(screen.getByLabelText('Repository'), 'acme/tiny-llama');
    await user.click(screen.getByRole('button', { name: 'Inspect' }));
    // when the user sees the choice and picks a file
    expect(await screen.findByText(/has 2 GGUF files: choose one/, {}, LOADED)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Pull' })).toBeDisabled();
    await user.selectOptions(screen.getByLabelText('GGUF file'), 'a.Q8_0.gguf');
    // then that file is inspected and can be pulled
    await waitFor(() => expect(screen.getByRole('button', { name: 'Pull' })).toBeEnabled(), LOADED);
    expect(calls.at(-1)?.body.filename).toBe('a.Q8_0.gguf');
  });

  it('shows the server’s reason when the repo is gated or not supported', async () => {
    // given a gated repo and no token
    fakeApi(() =>
      jsonResponse(
        {
          error: {
            code: 'validation_error',
            message: 'Invalid input.',
            fields: { repo_id: ['acme/gated is gated: add your Hugging Face access token'] },
          },
        },
        400,
      ),
    );
    const { user } = renderDialog();
    await user.type(screen.getByLabelText('Repository'), 'acme/gated');
    // when the user inspects it
    await user.click(screen.getByRole('button', { name: 'Inspect' }));
    // then the error names the token
    expect(await screen.findByRole('alert', {}, LOADED)).toHaveTextContent(
      'add your Hugging Face access token',
    );
    expect(screen.getByRole('button', { name: 'Pull' })).toBeDisabled();
  });
});
