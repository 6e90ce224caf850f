import { act, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { FakeSocket } from '../../../../testing/fake-socket';
import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { ConversationList } from '../conversation-list';
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

const conversation = {
  id: 7,
  title: 'Sonnets',
  model_version_id: 3,
  model_name: 'smollm2 0.1.0',
  qtype: '',
  personality: null,
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
  messages: [],
};

function fakeApi(extra: Record<string, unknown> = {}) {
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>((input) => {
      const { pathname } = new URL(input as string, 'http://test');
      const routes: Record<string, unknown> = {
        '/api/v1/chat/conversations/7/': conversation,
        ...extra,
        '/api/v1/chat/quota/': {
          tokens_per_day: 20000,
          tokens_used_today: 120,
          resets_at: '2026-01-03T00:00:00Z',
          max_concurrent: 2,
          running: 0,
        },
      };
      return Promise.resolve(jsonResponse(routes[pathname] ?? page([])));
    }),
  );
}

describe('ConversationView', () => {
  it(
    'sends a message and streams the answer with its sources and speed, with Stop meanwhile',
    SLOW,
    async () => {
      // given
      fakeApi();
      const socket = new FakeSocket();
      const { user } = renderWithProviders(
        <MemoryRouter>
          <ConversationView
            conversationId={7}
            createSocket={() => socket as unknown as WebSocket}
          />
        </MemoryRouter>,
      );
      await screen.findByRole('heading', { name: 'Sonnets' }, LOADED);
      act(() => socket.accept());

      // when
      await user.type(screen.getByTestId('chat-input'), 'What is a sonnet?');
      await user.click(screen.getByRole('button', { name: 'Send' }));
      act(() => {
        socket.emit({
          type: 'message',
          message: {
            id: 1,
            role: 'user',
            content: 'What is a sonnet?',
            status: 'done',
            created_at: '',
          },
        });
        socket.emit({
          type: 'message',
          message: { id: 2, role: 'assistant', content: '', status: 'queued', created_at: '' },
        });
        socket.emit({ type: 'delta', message_id: 2, text: 'A **fourteen**' });
      });

      // then
      expect(socket.sent).toContainEqual({ type: 'send', content: 'What is a sonnet?' });
      expect(screen.getByTestId('chat-input')).toHaveValue('');
      // The query cache tells components about socket updates on its next tick.
      const streaming = await screen.findByTestId('assistant-message');
      expect(within(streaming).getByText('fourteen').tagName).toBe('STRONG');
      await user.click(screen.getByRole('button', { name: 'Stop' }));
      expect(socket.sent).toContainEqual({ type: 'stop' });

      // when
      act(() =>
        socket.emit({
          type: 'done',
          message_id: 2,
          status: 'done',
          finish_reason: 'stop',
          content: 'A **fourteen**-line poem [1].',
          usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 },
          ttft_ms: 120,
          tokens_per_s: 41.25,
          citations: [
            {
              source: 1,
              document_id: 4,
              document_name: 'poetry.md',
              chunk_index: 2,
              score: 0.8123,
            },
          ],
          notice: '2 earlier turns were left out to fit the context window.',
        }),
      );

      // then
      const answer = screen.getByTestId('assistant-message');
      await waitFor(() => expect(answer).toHaveTextContent('-line poem [1].'));
      expect(within(answer).getByTestId('message-stats')).toHaveTextContent(
        'first token 120 ms · 41.3 tok/s · 8 tokens',
      );
      expect(within(answer).getByTestId('citation')).toHaveTextContent(
        'poetry.md · part 3 · score 0.812',
      );
      expect(within(answer).getByRole('note')).toHaveTextContent('2 earlier turns were left out');
      expect(screen.queryByRole('button', { name: 'Stop' })).toBeNull();
      await user.click(screen.getByRole('button', { name: 'Regenerate' }));
      expect(socket.sent).toContainEqual({ type: 'regenerate' });
    },
  );

  it('shows a quota error with the time it resets', SLOW, async () => {
    // given
    fakeApi();
    const socket = new FakeSocket();
    renderWithProviders(
      <MemoryRouter>
        <ConversationView conversationId={7} createSocket={() => socket as unknown as WebSocket} />
      </MemoryRouter>,
    );
    await screen.findByRole('heading', { name: 'Sonnets' }, LOADED);
    act(() => socket.accept());

    // when
    act(() =>
      socket.emit({
        type: 'error',
        code: 'quota_exceeded',
        message: 'You used your tokens for today.',
        retry_after: 60,
        reset_at: '2026-01-03T00:00:00Z',
      }),
    );

    // then
    await waitFor(() =>
      expect(screen.getByTestId('chat-problem')).toHaveTextContent(
        'Quota reached. You used your tokens for today. You can chat again at',
      ),
    );
    expect(screen.getByTestId('chat-problem').querySelector('time')).toHaveAttribute(
      'dateTime',
      '2026-01-03T00:00:00Z',
    );
  });

  it(
    'lists as sources only what the reply cites, and folds away what it did not',
    SLOW,
    async () => {
      // given a finished reply that cites the second of two excerpts it was given, and one that cites none
      const excerpt = (source: number, name: string) => ({
        source,
        document_id: source,
        document_name: name,
        chunk_index: 0,
        score: 0.5,
      });
      const reply = (id: number, content: string) => ({
        id,
        role: 'assistant',
        content,
        status: 'done',
        finish_reason: 'stop',
        citations: [excerpt(1, 'whales.md'), excerpt(2, 'foxes.md')],
        created_at: '',
      });
      fakeApi({
        '/api/v1/chat/conversations/7/': {
          ...conversation,
          messages: [reply(2, 'Foxes jump [2].'), reply(4, 'Nothing cited here.')],
        },
      });

      // when
      renderWithProviders(
        <MemoryRouter>
          <ConversationView conversationId={7} createSocket={() => new FakeSocket() as never} />
        </MemoryRouter>,
      );
      const replies = await screen.findAllByTestId('assistant-message', {}, LOADED);
      const [citing, silent] = replies as [HTMLElement, HTMLElement];
      expect(replies).toHaveLength(2);

      // then the cited excerpt is the source; the other is labelled as given, not cited
      expect(within(citing).getAllByTestId('citation')).toHaveLength(1);
      expect(within(citing).getByTestId('citation')).toHaveTextContent('[2] foxes.md');
      expect(within(citing).getByTestId('uncited-sources')).toHaveTextContent(
        'Also given, not cited (1)',
      );
      // and a reply with no marker shows no source list at all
      expect(within(silent).queryByTestId('citation')).toBeNull();
      expect(within(silent).queryByRole('heading', { name: 'Sources' })).toBeNull();
      expect(within(silent).getByTestId('uncited-sources')).toHaveTextContent(
        'Document excerpts given, none cited (2)',
      );
    },
  );

  it('rates a reply with icon buttons that need no emoji font', SLOW, async () => {
    // given a finished reply the user liked
    fakeApi({
      '/api/v1/chat/conversations/7/': {
        ...conversation,
        messages: [
          {
            id: 2,
            role: 'assistant',
            content: 'Hi.',
            status: 'done',
            feedback: 'up',
            created_at: '',
          },
        ],
      },
    });

    // when
    renderWithProviders(
      <MemoryRouter>
        <ConversationView conversationId={7} createSocket={() => new FakeSocket() as never} />
      </MemoryRouter>,
    );
    const good = await screen.findByRole('button', { name: 'Good answer' }, LOADED);
    const bad = screen.getByRole('button', { name: 'Bad answer' });

    // then each is an icon drawn as SVG, with no text to render as an empty box
    for (const button of [good, bad]) {
      expect(button.querySelector('svg')).not.toBeNull();
      expect(button.textContent).toBe('');
    }
    expect(good).toHaveAttribute('aria-pressed', 'true');
    expect(good.querySelector('svg')).toHaveAttribute('fill', 'currentColor');
    expect(bad.querySelector('svg')).toHaveAttribute('fill', 'none');
  });

  it(
    'renames a new chat in the list and the heading as soon as the server names it',
    SLOW,
    async () => {
      // given a new, untitled conversation, listed beside its page
      const untitled = { ...conversation, title: '' };
      fakeApi({
        '/api/v1/chat/conversations/7/': untitled,
        '/api/v1/chat/conversations/': page([untitled]),
      });
      const socket = new FakeSocket();
      renderWithProviders(
        <MemoryRouter>
          <ConversationList activeId={7} />
          <ConversationView
            conversationId={7}
            createSocket={() => socket as unknown as WebSocket}
          />
        </MemoryRouter>,
      );
      await screen.findByRole('heading', { name: 'New conversation' }, LOADED);
      await waitFor(() =>
        expect(screen.getByTestId('conversation-item')).toHaveTextContent('Untitled'),
      );

      // when the first message names it (the socket is left connecting: opening refetches the
      // page, and this fake server would still answer with no title)
      act(() => socket.emit({ type: 'title', conversation_id: 7, title: 'What is a sonnet?' }));

      // then
      await screen.findByRole('heading', { name: 'What is a sonnet?' });
      expect(screen.getByTestId('conversation-item')).toHaveTextContent('What is a sonnet?');
    },
  );

  it("caps max tokens by the chosen model's context", SLOW, async () => {
    // given a conversation on a model with a 64-token context
    fakeApi({
      '/api/v1/models/': page([{ id: 5, name: 'tiny-char' }]),
      '/api/v1/models/5/versions/': page([
        {
          id: 3,
          registered_model: 5,
          model_name: 'tiny-char',
          version: '1.0.0',
          status: 'ready',
          stage: 'development',
          architecture: { arch: 'gpt', block_size: 64 },
          exports: [],
          created_at: '2026-01-01T10:00:00Z',
        },
      ]),
    });

    // when
    renderWithProviders(
      <MemoryRouter>
        <ConversationView conversationId={7} createSocket={() => new FakeSocket() as never} />
      </MemoryRouter>,
    );

    // then the field allows at most what leaves the prompt one token, and says why
    const settings = await screen.findByRole('form', { name: 'Conversation settings' }, LOADED);
    await waitFor(() =>
      expect(within(settings).getByRole('spinbutton', { name: 'Max tokens' })).toHaveAttribute(
        'max',
        '63',
      ),
    );
    expect(settings).toHaveTextContent("This model's context holds 64 tokens for prompt and reply");
  });
});
