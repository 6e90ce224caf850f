import { screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { ConversationView } from '../conversation-view';

// Pages with several queries render slowly in jsdom on a busy machine.
const SLOW = { timeout: 30_000 };
const LOADED = { timeout: 10_000 };

const page = (results: unknown[]) => ({
  count: results.length,
  next: null,
  previous: null,
  results,
});

const version = (id: number, status: string) => ({ id, number: 1, status });
const personalities = [
  {
    id: 1,
    name: 'Sage',
    builtin: true,
    kind: 'config',
    description: 'a wise teacher',
    current_version: version(101, 'ready'),
  },
  {
    id: 2,
    name: 'Jester',
    builtin: true,
    kind: 'config',
    description: 'a witty entertainer',
    current_version: version(102, 'ready'),
  },
  {
    id: 11,
    name: 'Tea sage',
    builtin: false,
    kind: 'learned',
    description: 'calm about tea',
    current_version: version(111, 'ready'),
  },
  {
    id: 12,
    name: 'Still learning',
    builtin: false,
    kind: 'neural',
    description: '',
    current_version: version(112, 'training'),
  },
];

const sage = {
  id: 1,
  name: 'Sage',
  kind: 'config',
  builtin: true,
  version_id: 101,
  version_number: 1,
  outdated: false,
};

const conversation = {
  id: 7,
  title: 'Tea',
  model_version_id: 3,
  model_name: 'smollm2 0.1.0',
  qtype: '',
  personality: sage,
  system_prompt: '',
  temperature: null,
  top_p: null,
  top_k: null,
  min_p: null,
  repetition_penalty: null,
  max_tokens: null,
  seed: null,
  steering_strength: null,
  collection_ids: [],
  created_at: '2026-01-02T10:00:00Z',
  updated_at: '2026-01-02T10:00:00Z',
  messages: [
    { id: 1, role: 'user', content: 'Tea?', status: 'done', created_at: '' },
    { id: 2, role: 'assistant', content: 'Green tea, gently.', status: 'done', created_at: '' },
  ],
};

const trend = {
  personality_id: 1,
  version_id: 101,
  version_number: 1,
  texts: [
    {
      index: 0,
      excerpt: 'Green tea, gently.',
      alignment: 0.72,
      metrics: { vader_compound: 0.5, words: 3 },
      warnings: [],
      message_id: 2,
    },
  ],
  alignment: { mean: 0.72, std: 0 },
  profile: {},
  notices: [],
};

const quota = {
  tokens_per_day: 20000,
  tokens_used_today: 120,
  resets_at: '2026-01-03T00:00:00Z',
  max_concurrent: 2,
  running: 0,
};

/** Answers GETs by path; PATCH bodies are kept in `patched`. */
function fakeApi(patched: unknown[] = []) {
  const fetch = vi.fn<typeof globalThis.fetch>((input, init) => {
    const { pathname } = new URL(input as string, 'http://test');
    if (init?.method === 'PATCH') {
      patched.push(JSON.parse(init.body as string));
      return Promise.resolve(jsonResponse(conversation));
    }
    const routes: Record<string, unknown> = {
      '/api/v1/chat/conversations/7/': conversation,
      '/api/v1/personalities/': page(personalities),
      '/api/v1/chat/conversations/7/personality-trend/': trend,
      '/api/v1/chat/quota/': quota,
    };
    return Promise.resolve(jsonResponse(routes[pathname] ?? page([])));
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

/** A socket that never opens: these tests need no live replies. */
const quietSocket = () =>
  ({ readyState: WebSocket.CONNECTING, close() {}, send() {} }) as unknown as WebSocket;

function renderConversation() {
  return renderWithProviders(
    <MemoryRouter>
      <ConversationView conversationId={7} createSocket={quietSocket} />
    </MemoryRouter>,
  );
}

const requested = (fetch: ReturnType<typeof fakeApi>, path: string) =>
  fetch.mock.calls.some(([input]) => new URL(input as string, 'http://test').pathname === path);

describe('Chat personality', () => {
  it('lists the built-ins and your own, and saves the one you pick by id', SLOW, async () => {
    // given
    const patched: unknown[] = [];
    fakeApi(patched);
    const { user } = renderConversation();
    const picker = await screen.findByRole('combobox', { name: 'Personality' }, LOADED);
    await waitFor(() => expect(within(picker).getAllByRole('option')).toHaveLength(5));

    // then the list comes from the server, yours marked, one still training not pickable
    const options = within(picker).getAllByRole('option');
    expect(options.map((option) => option.textContent)).toEqual([
      'None',
      'Sage',
      'Jester',
      'Tea sage (yours)',
      'Still learning (yours), training',
    ]);
    expect(options[4]).toBeDisabled();
    expect(picker).toHaveValue('1');
    expect(screen.getByText('a wise teacher')).toBeInTheDocument();

    // when
    await user.selectOptions(picker, 'Tea sage (yours)');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    // then
    await waitFor(() => expect(patched).toHaveLength(1));
    expect(patched[0]).toMatchObject({ personality_id: 11 });
  });

  it(
    'measures the replies only when asked and shows a reply its alignment and metrics',
    SLOW,
    async () => {
      // given
      const fetch = fakeApi();
      const { user } = renderConversation();
      const button = await screen.findByRole('button', { name: 'Alignment with Sage' }, LOADED);
      expect(requested(fetch, '/api/v1/chat/conversations/7/personality-trend/')).toBe(false);

      // when
      await user.click(button);

      // then
      const dialog = await screen.findByTestId('reply-alignment-dialog');
      expect(await within(dialog).findByText('0.72', { selector: 'strong' })).toBeInTheDocument();
      const row = within(dialog).getByRole('row', { name: /Sentiment \(VADER\)/ });
      expect(row).toHaveTextContent('0.500');
      expect(within(dialog).getByRole('row', { name: /Words/ })).toHaveTextContent('3');

      // when the dialog closes, the reply keeps its alignment and the trend has it too
      await user.click(within(dialog).getByRole('button', { name: 'Close' }));
      expect(screen.getByRole('button', { name: 'Alignment with Sage' })).toHaveTextContent(
        'Alignment 0.72',
      );
      await user.click(screen.getByRole('button', { name: 'Measure the replies' }));
      expect(await screen.findByTestId('personality-trend-summary')).toHaveTextContent(
        'Mean alignment with Sage 0.72 ± 0.00 over 1 reply.',
      );
    },
  );

  it('asks for a personality before measuring a conversation without one', SLOW, async () => {
    // given
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>((input) => {
        const { pathname } = new URL(input as string, 'http://test');
        const body =
          pathname === '/api/v1/chat/conversations/7/'
            ? { ...conversation, personality: null }
            : pathname === '/api/v1/chat/quota/'
              ? quota
              : page(personalities);
        return Promise.resolve(jsonResponse(body));
      }),
    );
    // when
    renderConversation();
    // then
    expect(
      await screen.findByText(/Choose a personality in the settings/, {}, LOADED),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Alignment with/ })).not.toBeInTheDocument();
  });
});
