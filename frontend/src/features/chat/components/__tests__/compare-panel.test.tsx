import { act, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { FakeSocket } from '../../../../testing/fake-socket';
import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { ConversationView } from '../conversation-view';

const SLOW = { timeout: 30_000 };
const LOADED = { timeout: 10_000 };

const page = (results: unknown[]) => ({
  count: results.length,
  next: null,
  previous: null,
  results,
});

const version = (id: number, number: string) => ({
  id,
  registered_model: 5,
  model_name: 'tiny',
  version: number,
  status: 'ready',
  stage: 'development',
  architecture: { arch: 'llama', block_size: 2048 },
  exports: [],
  created_at: `2026-01-0${id}T10:00:00Z`,
});

const conversation = {
  id: 7,
  title: 'Sonnets',
  model_version_id: 1,
  model_name: 'tiny 1.0.0',
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

const battle = {
  id: 11,
  conversation_id: 7,
  content: 'Write a haiku',
  vote: null,
  voted_at: null,
  sides: [
    { side: 'a', status: 'queued', content: '', error: '', model: null },
    { side: 'b', status: 'queued', content: '', error: '', model: null },
  ],
  created_at: '2026-01-02T10:00:00Z',
};

function fakeApi() {
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>((input) => {
      const { pathname } = new URL(input as string, 'http://test');
      const routes: Record<string, unknown> = {
        '/api/v1/chat/conversations/7/': conversation,
        '/api/v1/models/': page([{ id: 5, name: 'tiny' }]),
        '/api/v1/models/5/versions/': page([version(1, '1.0.0'), version(2, '1.0.1')]),
        '/api/v1/chat/quota/': {
          tokens_per_day: 20000,
          tokens_used_today: 0,
          resets_at: '2026-01-03T00:00:00Z',
          max_concurrent: 2,
          running: 0,
        },
      };
      return Promise.resolve(jsonResponse(routes[pathname] ?? page([])));
    }),
  );
}

describe('Compare mode', () => {
  it('streams two hidden answers side by side, then a vote reveals the models', SLOW, async () => {
    // given a conversation in compare mode with two versions chosen
    fakeApi();
    const socket = new FakeSocket();
    const { user } = renderWithProviders(
      <MemoryRouter>
        <ConversationView conversationId={7} createSocket={() => socket as unknown as WebSocket} />
      </MemoryRouter>,
    );
    await screen.findByRole('heading', { name: 'Sonnets' }, LOADED);
    act(() => socket.accept());
    await user.click(screen.getByRole('button', { name: 'Compare' }));
    await screen.findAllByRole('option', { name: 'tiny 1.0.1' }, LOADED);
    await user.selectOptions(screen.getByRole('combobox', { name: 'First model' }), '1');
    await user.selectOptions(screen.getByRole('combobox', { name: 'Second model' }), '2');

    // when the user asks, and both answers stream in
    await user.type(screen.getByTestId('chat-input'), 'Write a haiku');
    await user.click(screen.getByRole('button', { name: 'Send' }));
    act(() => {
      socket.emit({ type: 'battle', battle });
      socket.emit({ type: 'battle_delta', battle_id: 11, side: 'a', text: 'Old pond' });
      socket.emit({ type: 'battle_delta', battle_id: 11, side: 'b', text: 'Autumn moon' });
    });

    // then the question went over the socket, and the answers show as A and B, models hidden
    expect(socket.sent).toContainEqual({
      type: 'compare',
      content: 'Write a haiku',
      model_version_ids: [1, 2],
    });
    const paneA = await screen.findByRole('region', { name: 'Answer A' });
    const paneB = screen.getByRole('region', { name: 'Answer B' });
    await waitFor(() => expect(paneA).toHaveTextContent('Old pond'));
    expect(paneB).toHaveTextContent('Autumn moon');
    expect(paneA).toHaveTextContent('model hidden');
    expect(screen.getByRole('button', { name: 'A is better' })).toBeDisabled();

    // when both finish and the user votes A
    act(() => {
      socket.emit({
        type: 'battle_done',
        battle_id: 11,
        side: 'a',
        status: 'done',
        content: 'Old pond, a frog',
        error: '',
      });
      socket.emit({
        type: 'battle_done',
        battle_id: 11,
        side: 'b',
        status: 'done',
        content: 'Autumn moon rises',
        error: '',
      });
    });
    await waitFor(() => expect(screen.getByRole('button', { name: 'A is better' })).toBeEnabled());
    await user.click(screen.getByRole('button', { name: 'A is better' }));
    act(() =>
      socket.emit({
        type: 'battle_reveal',
        battle: {
          ...battle,
          vote: 'a',
          voted_at: '2026-01-02T10:01:00Z',
          sides: [
            {
              side: 'a',
              status: 'done',
              content: 'Old pond, a frog',
              error: '',
              model: { id: 2, name: 'tiny 1.0.1' },
            },
            {
              side: 'b',
              status: 'done',
              content: 'Autumn moon rises',
              error: '',
              model: { id: 1, name: 'tiny 1.0.0' },
            },
          ],
        },
      }),
    );

    // then the vote went over the socket and the models are shown
    expect(socket.sent).toContainEqual({ type: 'vote', battle_id: 11, vote: 'a' });
    await waitFor(() =>
      expect(screen.getByRole('region', { name: 'Answer A' })).toHaveTextContent('tiny 1.0.1'),
    );
    expect(screen.getByRole('region', { name: 'Answer B' })).toHaveTextContent('tiny 1.0.0');
    expect(screen.getByText(/You chose A/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'B is better' })).not.toBeInTheDocument();
    expect(within(paneA).queryByText('model hidden')).not.toBeInTheDocument();
  });

  it('stops a running comparison, keeping what both sides wrote', SLOW, async () => {
    // given a comparison being answered
    fakeApi();
    const socket = new FakeSocket();
    const { user } = renderWithProviders(
      <MemoryRouter>
        <ConversationView conversationId={7} createSocket={() => socket as unknown as WebSocket} />
      </MemoryRouter>,
    );
    await screen.findByRole('heading', { name: 'Sonnets' }, LOADED);
    act(() => socket.accept());
    await user.click(screen.getByRole('button', { name: 'Compare' }));
    act(() => {
      socket.emit({ type: 'battle', battle });
      socket.emit({ type: 'battle_delta', battle_id: 11, side: 'a', text: 'Old pond' });
    });

    // when the user stops it
    await user.click(await screen.findByRole('button', { name: 'Stop' }));
    act(() => {
      for (const [side, content] of [
        ['a', 'Old pond'],
        ['b', ''],
      ]) {
        socket.emit({
          type: 'battle_done',
          battle_id: 11,
          side,
          status: 'stopped',
          content,
          error: '',
        });
      }
    });

    // then the stop went over the socket, both sides show as stopped, and the vote opens
    expect(socket.sent).toContainEqual({ type: 'stop' });
    const paneA = screen.getByRole('region', { name: 'Answer A' });
    await waitFor(() => expect(paneA).toHaveTextContent('stopped'));
    expect(paneA).toHaveTextContent('Old pond');
    expect(screen.getByRole('button', { name: 'A is better' })).toBeEnabled();
    expect(screen.queryByRole('button', { name: 'Stop' })).not.toBeInTheDocument();
  });
});
