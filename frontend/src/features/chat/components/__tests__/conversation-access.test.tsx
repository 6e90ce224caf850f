import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { FakeSocket } from '../../../../testing/fake-socket';
import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { ConversationList } from '../conversation-list';
import { ConversationView } from '../conversation-view';

const SLOW = { timeout: 30_000 };
const LOADED = { timeout: 10_000 };

const page = (results: unknown[]) => ({
  count: results.length,
  next: null,
  previous: null,
  results,
});

function conversation(id: number, title: string, access_role: string) {
  return {
    id,
    title,
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
    access_role,
  };
}

const mine = conversation(7, 'Sonnets', 'owner');
const theirs = conversation(8, 'Their sea stories', 'read');

function fakeApi() {
  const fetchMock = vi.fn<typeof fetch>((input) => {
    const url = new URL(input as string, 'http://test');
    if (url.pathname === '/api/v1/chat/conversations/') {
      const scope = url.searchParams.get('scope');
      return Promise.resolve(
        jsonResponse(
          page(scope === 'shared' ? [theirs] : scope === 'mine' ? [mine] : [mine, theirs]),
        ),
      );
    }
    if (url.pathname === '/api/v1/chat/conversations/8/') {
      return Promise.resolve(
        jsonResponse({
          ...theirs,
          messages: [
            {
              id: 1,
              role: 'user',
              content: 'Tell me about the sea.',
              status: 'done',
              created_at: '',
            },
            {
              id: 2,
              role: 'assistant',
              content: 'The sea is wide.',
              status: 'done',
              feedback: '',
              created_at: '',
            },
          ],
        }),
      );
    }
    return Promise.resolve(jsonResponse(page([])));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('A conversation shared with you', () => {
  it('is shown read-only: no composer, edit, regenerate, feedback or compare', SLOW, async () => {
    // given
    fakeApi();
    // when
    renderWithProviders(
      <MemoryRouter>
        <ConversationView conversationId={8} createSocket={() => new FakeSocket() as never} />
      </MemoryRouter>,
    );
    // then
    expect(await screen.findByTestId('read-only-note', {}, LOADED)).toHaveTextContent(
      'Shared with you: read-only',
    );
    expect(screen.getByText('The sea is wide.')).toBeInTheDocument();
    expect(screen.queryByTestId('chat-input')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Regenerate' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Good answer' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Compare' })).toBeNull();
  });

  it(
    'is marked in the list without Rename or Delete, and the filter asks for it alone',
    SLOW,
    async () => {
      // given
      const fetchMock = fakeApi();
      const { user } = renderWithProviders(
        <MemoryRouter>
          <ConversationList activeId={null} />
        </MemoryRouter>,
      );
      const items = await screen.findAllByTestId('conversation-item', {}, LOADED);
      expect(within(items[0]!).getByRole('button', { name: 'Delete' })).toBeInTheDocument();
      expect(within(items[1]!).getByTestId('access-badge')).toHaveTextContent(
        'shared with you to read',
      );
      expect(within(items[1]!).queryByRole('button', { name: 'Rename' })).toBeNull();
      expect(within(items[1]!).queryByRole('button', { name: 'Delete' })).toBeNull();

      // when
      await user.click(screen.getByRole('button', { name: 'Shared with you' }));

      // then
      await vi.waitFor(() => expect(screen.getAllByTestId('conversation-item')).toHaveLength(1));
      expect(screen.getByTestId('conversation-item')).toHaveTextContent('Their sea stories');
      expect(
        fetchMock.mock.calls
          .map(([input]) => input as string)
          .some(
            (url) => url.includes('/api/v1/chat/conversations/?') && url.includes('scope=shared'),
          ),
      ).toBe(true);
    },
  );
});
