import { screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { FineTuneDialog } from '../fine-tune-dialog';

const SLOW = { timeout: 30_000 };
const LOADED = { timeout: 10_000 };
const LLAMA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

const page = (results: unknown[]) => ({
  count: results.length,
  next: null,
  previous: null,
  results,
});

function datasetVersion(id: number, number: number, kinds: Record<string, number>) {
  return {
    id,
    dataset: 3,
    number,
    filename: `talk-${number}.jsonl`,
    format: 'jsonl',
    sha256: 'x',
    size_bytes: 10,
    stored_bytes: 10,
    status: 'valid',
    report: { records: 40, characters: 900, estimated_tokens: 225, preview: [], errors: [], kinds },
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
    architecture: { arch: 'llama' },
    lora_default_targets: LLAMA_TARGETS,
    has_adapter: false,
    created_at: createdAt,
  };
}

function fakeApi(createAnswer: Response) {
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = new URL(input as string, 'http://test');
    if (init?.method === 'POST') return Promise.resolve(createAnswer);
    const answers: Record<string, unknown> = {
      '/api/v1/datasets/': page([{ id: 3, name: 'talk', version_count: 2, description: '' }]),
      '/api/v1/models/': page([{ id: 7, name: 'poet', version_count: 3 }]),
      '/api/v1/models/7/versions/': page([
        modelVersion(22, '1.2.0', 'importing', '2026-01-04T10:00:00Z'),
        modelVersion(21, '1.1.0', 'ready', '2026-01-03T10:00:00Z'),
        modelVersion(20, '1.0.0', 'ready', '2026-01-02T10:00:00Z'),
      ]),
      '/api/v1/datasets/3/versions/': page([
        datasetVersion(12, 2, { preference: 32 }),
        datasetVersion(11, 1, { pair: 30, chat: 10 }),
      ]),
    };
    const answer = answers[url.pathname];
    return Promise.resolve(
      answer === undefined
        ? jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404)
        : jsonResponse(answer),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function posted(fetchMock: ReturnType<typeof fakeApi>) {
  const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
  return JSON.parse(post?.[1]?.body as string) as {
    base_model_version_id: number;
    method: string;
    dataset_version_id: number;
    config: Record<string, Record<string, unknown>>;
  };
}

function renderDialog(baseVersionId?: number) {
  return renderWithProviders(
    <MemoryRouter>
      <FineTuneDialog open onOpenChange={vi.fn()} baseVersionId={baseVersionId} />
    </MemoryRouter>,
  );
}

describe('FineTuneDialog', () => {
  it('starts a LoRA fine-tune of the chosen base, showing its default targets', SLOW, async () => {
    // given the dialog opened from version 1.0.0's page
    const fetchMock = fakeApi(jsonResponse({ id: 1, run: 40 }, 201));
    const { user } = renderDialog(20);
    await screen.findByRole(
      'option',
      { name: 'v1: talk-1.jsonl (30 prompt/response, 10 chat)' },
      LOADED,
    );

    // when the rank is changed and the version with pairs and chats chosen
    await screen.findByRole('option', { name: 'poet 1.0.0' }, LOADED);
    await user.selectOptions(screen.getByRole('combobox', { name: 'Version' }), '11');
    await user.clear(screen.getByRole('spinbutton', { name: 'Rank' }));
    await user.type(screen.getByRole('spinbutton', { name: 'Rank' }), '16');
    await user.click(screen.getByRole('button', { name: 'Start fine-tuning' }));

    // then only ready versions are offered, the base is the one the page named, and the
    // targets left blank are the architecture's default
    expect(screen.queryByRole('option', { name: 'poet 1.2.0' })).not.toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Base model' })).toHaveValue('20');
    expect(screen.getByRole('textbox', { name: 'Target layers' })).toHaveAccessibleDescription(
      `Blank: the llama default, ${LLAMA_TARGETS.join(', ')}.`,
    );
    await waitFor(() =>
      expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(true),
    );
    const body = posted(fetchMock);
    expect(body).toMatchObject({
      base_model_version_id: 20,
      method: 'lora',
      dataset_version_id: 11,
    });
    expect(body.config.lora).toEqual({ r: 16, alpha: 16, dropout: 0.05 });
    expect(body.config.dpo).toBeUndefined();
  });

  it('sends DPO with its beta, and no LoRA section when adapters are off', SLOW, async () => {
    // given
    const fetchMock = fakeApi(jsonResponse({ id: 1, run: 40 }, 201));
    const { user } = renderDialog();
    await screen.findByRole('option', { name: 'v2: talk-2.jsonl (32 preference)' }, LOADED);

    // when DPO without adapters is chosen on the preference records
    await user.selectOptions(screen.getByRole('combobox', { name: 'Method' }), 'dpo');
    await user.click(screen.getByRole('checkbox', { name: /Train LoRA adapters/ }));
    await user.clear(screen.getByRole('spinbutton', { name: 'Beta' }));
    await user.type(screen.getByRole('spinbutton', { name: 'Beta' }), '0.3');
    await user.click(screen.getByRole('button', { name: 'Start fine-tuning' }));

    // then the newest ready version is the base, and no LoRA section is sent
    await waitFor(() =>
      expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(true),
    );
    const body = posted(fetchMock);
    expect(body).toMatchObject({
      base_model_version_id: 21,
      method: 'dpo',
      dataset_version_id: 12,
    });
    expect(body.config.dpo).toEqual({ beta: 0.3 });
    expect(body.config.lora).toBeUndefined();
    expect(screen.queryByTestId('lora-options')).not.toBeInTheDocument();
  });

  it('keeps the base packed in the chosen type for LoRA over a quantized base', SLOW, async () => {
    // given
    const fetchMock = fakeApi(jsonResponse({ id: 1, run: 40 }, 201));
    const { user } = renderDialog();
    await screen.findByRole('option', { name: 'v2: talk-2.jsonl (32 preference)' }, LOADED);

    // when
    await user.selectOptions(screen.getByRole('combobox', { name: 'Method' }), 'qlora');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Base kept as' }), 'Q4_0');
    await user.click(screen.getByRole('button', { name: 'Start fine-tuning' }));

    // then
    await waitFor(() =>
      expect(fetchMock.mock.calls.some(([, init]) => init?.method === 'POST')).toBe(true),
    );
    const body = posted(fetchMock);
    expect(body.method).toBe('qlora');
    expect(body.config.lora).toEqual({ r: 8, alpha: 16, dropout: 0.05, base_type: 'Q4_0' });
  });

  it('shows the server’s messages under the fields they are about', SLOW, async () => {
    // given a server that refuses a target layer and the dataset's records
    const fields = {
      'config.lora.target_modules': [
        "'c_attn': not a layer of this llama model; valid: q_proj, k_proj",
      ],
      dataset_version_id: ['a lora run learns from prompt/response pairs; talk-2.jsonl line 1'],
    };
    fakeApi(jsonResponse({ error: { code: 'validation_error', message: 'invalid', fields } }, 400));
    const { user } = renderDialog();
    await screen.findByRole('option', { name: 'v2: talk-2.jsonl (32 preference)' }, LOADED);

    // when
    await user.type(screen.getByRole('textbox', { name: 'Target layers' }), 'c_attn');
    await user.click(screen.getByRole('button', { name: 'Start fine-tuning' }));

    // then
    const targets = screen.getByRole('textbox', { name: 'Target layers' });
    await waitFor(() => expect(targets).toHaveAttribute('aria-invalid', 'true'), LOADED);
    expect(targets).toHaveAccessibleDescription(/not a layer of this llama model; valid: q_proj/);
    expect(screen.getByRole('combobox', { name: 'Version' })).toHaveAccessibleDescription(
      /talk-2\.jsonl line 1/,
    );
  });
});
