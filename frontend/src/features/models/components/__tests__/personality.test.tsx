import { screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import type { RegisteredModel } from '../../../../lib/api/get-models';
import type { ModelVersion } from '../../../../lib/api/get-model-versions';
import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import type { EvaluationReport } from '../../api/get-application-report';
import { ReportView } from '../application-report';
import { ApplyPersonalityDialog } from '../apply-personality-dialog';
import { PersonalityGate } from '../personality-gate';
import { StageControl } from '../stage-control';

const LOADED = { timeout: 10_000 };

const version = {
  id: 3,
  registered_model: 5,
  model_name: 'tiny',
  version: '1.0.0',
  stage: 'development',
  status: 'ready',
} as ModelVersion;

const model = {
  id: 5,
  name: 'tiny',
  description: '',
  version_count: 1,
  target_personality_version: null,
  target_personality: null,
  target_personality_name: null,
  min_alignment: null,
  max_alignment_drift: null,
} as unknown as RegisteredModel;

const personalities = {
  count: 2,
  next: null,
  previous: null,
  results: [
    {
      id: 1,
      name: 'Sage',
      builtin: true,
      kind: 'config',
      current_version: { id: 10, status: 'ready' },
    },
    {
      id: 7,
      name: 'Fan',
      builtin: false,
      kind: 'learned',
      current_version: { id: 70, status: 'ready' },
    },
  ],
};

interface Sent {
  method: string;
  path: string;
  body: unknown;
}

/** The server: `answer` decides each request's response; every request is recorded. */
function fakeApi(answer: (request: Sent) => Response | undefined) {
  const sent: Sent[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>((input, init) => {
      const { pathname } = new URL(input as string, 'http://test');
      const request = {
        method: init?.method ?? 'GET',
        path: pathname,
        body: init?.body ? (JSON.parse(init.body as string) as unknown) : null,
      };
      sent.push(request);
      if (pathname === '/api/v1/personalities/')
        return Promise.resolve(jsonResponse(personalities));
      return Promise.resolve(answer(request) ?? jsonResponse({ count: 0, results: [] }));
    }),
  );
  return sent;
}

function error(status: number, code: string, message: string, fields?: Record<string, string[]>) {
  return jsonResponse({ error: { code, message, fields } }, status);
}

describe('Apply a personality', () => {
  it('sends the picked personality, method and options, and shows a 400 under its field', async () => {
    // given a server that refuses the answer length
    const sent = fakeApi((request) =>
      request.method === 'POST'
        ? error(400, 'invalid', 'Invalid input.', {
            'options.max_tokens': ['must be at least 1 and at most 512'],
          })
        : undefined,
    );
    const { user } = renderWithProviders(
      <MemoryRouter>
        <ApplyPersonalityDialog
          open
          onOpenChange={() => {}}
          version={version}
          onApplied={() => {}}
        />
      </MemoryRouter>,
    );
    const dialog = await screen.findByTestId('apply-personality-dialog', undefined, LOADED);
    await user.selectOptions(await within(dialog).findByLabelText('Personality', {}, LOADED), '7');

    // when the user picks the system prompt method, 3 probes and too long an answer
    await user.selectOptions(within(dialog).getByLabelText('Method'), 'prompt');
    expect(dialog).toHaveTextContent(
      'Keeps the weights and carries the personality’s system prompt',
    );
    await user.clear(within(dialog).getByLabelText('Probes'));
    await user.type(within(dialog).getByLabelText('Probes'), '3');
    await user.clear(within(dialog).getByLabelText('Answer tokens'));
    await user.type(within(dialog).getByLabelText('Answer tokens'), '9999');
    await user.click(within(dialog).getByRole('button', { name: 'Apply' }));

    // then the request carries them, and the server's message sits under that field
    await waitFor(() => expect(sent.some((request) => request.method === 'POST')).toBe(true));
    expect(sent.find((request) => request.method === 'POST')?.body).toEqual({
      model_version_id: 3,
      personality_id: 7,
      method: 'prompt',
      options: { probes: 3, max_tokens: 9999 },
    });
    const answerTokens = within(dialog).getByLabelText('Answer tokens');
    await waitFor(() => expect(answerTokens).toHaveAttribute('aria-invalid', 'true'));
    expect(within(dialog).getByText('must be at least 1 and at most 512')).toBeInTheDocument();
  });

  it('says above the buttons when the model itself cannot take the probes', async () => {
    // given a model whose context is too small
    fakeApi((request) =>
      request.method === 'POST'
        ? error(400, 'invalid', 'Invalid input.', {
            model_version_id: ['its context of 64 tokens cannot hold the probes and their answers'],
          })
        : undefined,
    );
    const { user } = renderWithProviders(
      <MemoryRouter>
        <ApplyPersonalityDialog
          open
          onOpenChange={() => {}}
          version={version}
          onApplied={() => {}}
        />
      </MemoryRouter>,
    );
    const dialog = await screen.findByTestId('apply-personality-dialog', undefined, LOADED);
    await within(dialog).findByLabelText('Personality', {}, LOADED);

    // when it is applied
    await user.click(within(dialog).getByRole('button', { name: 'Apply' }));

    // then the reason is shown
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'its context of 64 tokens cannot hold the probes',
    );
  });
});

describe('the evaluation report', () => {
  it('shows the gains, the perplexity ratio, each condition, the chart and the answers side by side', () => {
    // given a finished report
    const report = {
      evaluation: 4,
      model: 'tiny:1.1.0',
      personality: {},
      probes: 2,
      probe_ids: [0, 1],
      max_tokens: 8,
      steering: {},
      served: 'system_prompt',
      alignment: 0.62,
      vader_compound: 0.3,
      alignment_gain: 0.12,
      vader_gain: -0.04,
      perplexity_ratio: 1.18,
      conditions: {
        system_prompt: {
          alignment: 0.62,
          metrics: { vader_compound: 0.3 },
          perplexity: 12,
          perplexity_ratio: 1.18,
        },
        none: {
          alignment: 0.5,
          metrics: { vader_compound: 0.34 },
          perplexity: 10,
          perplexity_ratio: 1,
        },
      },
      deltas: { system_prompt: { alignment: 0.12, vader_compound: -0.04, perplexity_ratio: 1.18 } },
      table: '',
      answers: [
        {
          category: 'advice',
          prompt: 'How do I sleep better?',
          none: 'Dunno.',
          system_prompt: 'Oh wow, rest!',
        },
      ],
    } as EvaluationReport;

    // when it is shown
    renderWithProviders(<ReportView report={report} chartUrl="/chart.png" />);

    // then
    expect(screen.getByTestId('report-alignment')).toHaveTextContent('0.620');
    expect(screen.getByTestId('report-alignment-gain')).toHaveTextContent('+0.120');
    expect(screen.getByTestId('report-vader-gain')).toHaveTextContent('−0.040');
    expect(screen.getByTestId('report-perplexity-ratio')).toHaveTextContent('×1.18');
    const rows = within(screen.getByTestId('report-conditions')).getAllByRole('row');
    expect(rows.map((row) => row.querySelector('th')?.textContent)).toEqual([
      'Condition',
      'No personality',
      'System prompt',
    ]);
    expect(rows[2]).toHaveTextContent('+0.120');
    expect(screen.getByTestId('report-chart')).toHaveAttribute('src', '/chart.png');
    const answers = screen.getByTestId('report-answers');
    expect(within(answers).getByText('Dunno.')).toBeInTheDocument();
    expect(within(answers).getByText('Oh wow, rest!')).toBeInTheDocument();
  });
});

describe('the personality gate', () => {
  it('saves the target personality’s current version with the thresholds', async () => {
    // given a model without a gate
    const sent = fakeApi((request) =>
      request.method === 'PATCH'
        ? jsonResponse({
            ...model,
            target_personality_version: 70,
            target_personality: 7,
            target_personality_name: 'Fan',
            min_alignment: 0.7,
          })
        : undefined,
    );
    const { user } = renderWithProviders(<PersonalityGate model={model} />);
    expect(screen.getByTestId('personality-gate-current')).toHaveTextContent('No personality gate');

    // when the user targets Fan with a minimum alignment
    await waitFor(
      () => expect(screen.getByRole('option', { name: 'Fan (yours)' })).toBeInTheDocument(),
      LOADED,
    );
    await user.selectOptions(screen.getByLabelText('Target personality'), '7');
    await user.clear(screen.getByLabelText('Minimum alignment'));
    await user.type(screen.getByLabelText('Minimum alignment'), '0.7');
    await user.click(screen.getByRole('button', { name: 'Save gate' }));

    // then the current version of Fan is the target
    await waitFor(() => expect(sent.some((request) => request.method === 'PATCH')).toBe(true));
    expect(sent.find((request) => request.method === 'PATCH')).toMatchObject({
      path: '/api/v1/models/5/',
      body: { target_personality_version_id: 70, min_alignment: 0.7, max_alignment_drift: null },
    });
  });

  it('shows a threshold the server refuses under its field', async () => {
    // given a server refusing the drift
    fakeApi((request) =>
      request.method === 'PATCH'
        ? error(400, 'invalid', 'Invalid input.', { max_alignment_drift: ['between 0 and 1'] })
        : undefined,
    );
    const gated = {
      ...model,
      target_personality_version: 70,
      target_personality: 7,
      target_personality_name: 'Fan',
      min_alignment: 0.6,
    } as RegisteredModel;
    const { user } = renderWithProviders(<PersonalityGate model={gated} />);

    // when it is saved
    expect(screen.getByTestId('personality-gate-current')).toHaveTextContent(
      'Production needs Fan with alignment at least 0.60',
    );
    await waitFor(
      () => expect(screen.getByRole('option', { name: 'Fan (yours)' })).toBeInTheDocument(),
      LOADED,
    );
    await user.click(screen.getByRole('button', { name: 'Save gate' }));

    // then
    expect(await screen.findByText('between 0 and 1')).toBeInTheDocument();
    expect(screen.getByLabelText('Maximum drift')).toHaveAttribute('aria-invalid', 'true');
  });
});

describe('a promotion the gate refuses', () => {
  function renderStage() {
    return renderWithProviders(<StageControl version={version} />);
  }

  it('lists the measured reasons', async () => {
    // given a gate the version fails
    fakeApi((request) => {
      if (request.path === '/api/v1/me/')
        return jsonResponse({ id: 1, email: 'a@b.c', is_staff: false });
      if (request.method === 'POST')
        return error(
          409,
          'personality_gate_failed',
          'the personality gate refused production for tiny:1.0.0 against Fan v1: alignment 0.412 is below the minimum 0.700; alignment fell 0.100 from production 0.9.0’s 0.512, more than the allowed 0.050 (evaluation 8); staff may override with a note',
        );
      return undefined;
    });
    const { user } = renderStage();

    // when the user moves the version to production
    await user.selectOptions(screen.getByLabelText('Stage'), 'production');
    await user.click(screen.getByRole('button', { name: 'Change stage' }));

    // then each reason is listed with the evaluation that measured it; no override for non-staff
    const refusal = await screen.findByTestId('gate-refusal');
    expect(
      within(refusal)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual([
      'alignment 0.412 is below the minimum 0.700',
      'alignment fell 0.100 from production 0.9.0’s 0.512, more than the allowed 0.050',
    ]);
    expect(refusal).toHaveTextContent('Measured by evaluation 8.');
    expect(screen.queryByLabelText(/Override the personality gate/)).not.toBeInTheDocument();
  });

  it('says to try again while the evaluation runs, with its progress', async () => {
    // given a gate whose evaluation has just started
    fakeApi((request) => {
      if (request.path === '/api/v1/me/')
        return jsonResponse({ id: 1, email: 'a@b.c', is_staff: false });
      if (request.method === 'POST')
        return error(
          409,
          'personality_evaluation_running',
          'the personality gate needs the evaluation of tiny:1.0.0 (evaluation 9) against Fan v1: evaluation running, try again when it finishes',
        );
      if (request.path === '/api/v1/personality-evaluations/')
        return jsonResponse({
          count: 1,
          results: [{ id: 9, status: 'running', progress: 0.4, personality_name: 'Fan' }],
        });
      return undefined;
    });
    const { user } = renderStage();

    // when the user moves the version to production
    await user.selectOptions(screen.getByLabelText('Stage'), 'production');
    await user.click(screen.getByRole('button', { name: 'Change stage' }));

    // then
    const running = await screen.findByTestId('gate-running');
    expect(running).toHaveTextContent('Evaluation running — try again when it finishes');
    await waitFor(() => expect(running).toHaveTextContent('Evaluation 9 against Fan'));
    expect(running).toHaveTextContent('40%');
  });

  it('lets staff override with a note, which it requires', async () => {
    // given a staff member
    const sent = fakeApi((request) => {
      if (request.path === '/api/v1/me/')
        return jsonResponse({ id: 1, email: 'a@b.c', is_staff: true });
      if (request.method === 'POST') return jsonResponse({ ...version, stage: 'production' });
      return undefined;
    });
    const { user } = renderStage();

    // when they override the gate
    await user.selectOptions(screen.getByLabelText('Stage'), 'production');
    await user.click(await screen.findByLabelText(/Override the personality gate/, {}, LOADED));

    // then the note is required before the move is sent, and sent with it
    const change = screen.getByRole('button', { name: 'Change stage' });
    expect(change).toBeDisabled();
    await user.type(
      screen.getByPlaceholderText(/Why the gate is overridden/),
      'launch day, measured by hand',
    );
    await user.click(change);
    await waitFor(() => expect(sent.some((request) => request.method === 'POST')).toBe(true));
    expect(sent.find((request) => request.method === 'POST')?.body).toEqual({
      stage: 'production',
      note: 'launch day, measured by hand',
      override: true,
    });
  });
});
