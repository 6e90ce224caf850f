import { describe, expect, it } from 'vitest';

import {
  applyChatEvent,
  type ChatEvent,
  type ChatMessage,
  mergeServerMessages,
  normalizeMessage,
  problemFrom,
} from '../chat-stream';

function message(overrides: Partial<ChatMessage> & { id: number }): ChatMessage {
  return normalizeMessage({ role: 'user', created_at: '2026-01-01T10:00:00Z', ...overrides });
}

function play(start: ChatMessage[], events: ChatEvent[]): ChatMessage[] {
  return events.reduce(applyChatEvent, start);
}

const question = message({ id: 1, role: 'user', content: 'What is a sonnet?' });

describe('applyChatEvent', () => {
  it('streams a reply from its message event, deltas and done into one finished answer', () => {
    // given
    const queued = { id: 2, role: 'assistant' as const, status: 'queued' as const, created_at: '' };

    // when
    const messages = play(
      [question],
      [
        { type: 'message', message: queued },
        { type: 'delta', message_id: 2, text: 'A poem ' },
        { type: 'delta', message_id: 2, text: 'of fourteen' },
      ],
    );
    const finished = applyChatEvent(messages, {
      type: 'done',
      message_id: 2,
      status: 'done',
      finish_reason: 'stop',
      content: 'A poem of fourteen lines.',
      usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
      ttft_ms: 85,
      tokens_per_s: 41.5,
      citations: [{ source: 1, document_id: 4, document_name: 'a.md', chunk_index: 0, score: 0.9 }],
      notice: '',
    });

    // then
    expect(messages[1]).toMatchObject({ status: 'queued', content: 'A poem of fourteen' });
    expect(finished.map((item) => item.id)).toEqual([1, 2]);
    expect(finished[1]).toMatchObject({
      status: 'done',
      content: 'A poem of fourteen lines.',
      ttft_ms: 85,
      tokens_per_s: 41.5,
      completion_tokens: 6,
    });
    expect(finished[1]?.citations).toHaveLength(1);
  });

  it('shows deltas whose message event was missed, in id order', () => {
    // when
    const messages = play([question], [{ type: 'delta', message_id: 2, text: 'Hello' }]);

    // then
    expect(messages).toHaveLength(2);
    expect(messages[1]).toMatchObject({
      id: 2,
      role: 'assistant',
      content: 'Hello',
      status: 'queued',
    });
  });

  it('ignores a delta that arrives after the reply finished', () => {
    // given
    const done = message({ id: 2, role: 'assistant', status: 'done', content: 'Final.' });

    // when
    const messages = play([question, done], [{ type: 'delta', message_id: 2, text: ' extra' }]);

    // then
    expect(messages[1]?.content).toBe('Final.');
  });

  it('drops removed messages and puts the edited one in place (edit and resend)', () => {
    // given
    const reply = message({ id: 2, role: 'assistant', content: 'Old answer' });

    // when
    const messages = play(
      [question, reply],
      [
        { type: 'removed', message_ids: [2] },
        { type: 'message', message: { ...question, content: 'What is a haiku?' } },
        {
          type: 'message',
          message: { id: 3, role: 'assistant', status: 'queued', created_at: '' },
        },
      ],
    );

    // then
    expect(messages.map((item) => [item.id, item.content])).toEqual([
      [1, 'What is a haiku?'],
      [3, ''],
    ]);
  });

  it('keeps streamed text when the queued reply is announced again', () => {
    // given
    const streaming = message({ id: 2, role: 'assistant', status: 'queued', content: 'Half' });

    // when
    const messages = play(
      [question, streaming],
      [
        {
          type: 'message',
          message: { id: 2, role: 'assistant', status: 'queued', created_at: '' },
        },
      ],
    );

    // then
    expect(messages[1]?.content).toBe('Half');
  });

  it('puts a context notice on its reply', () => {
    // when
    const messages = play(
      [question],
      [{ type: 'notice', message_id: 2, message: '3 earlier turns were left out to fit.' }],
    );

    // then
    expect(messages[1]?.notice).toBe('3 earlier turns were left out to fit.');
  });

  it('fails the reply an error names, and leaves the rest alone', () => {
    // given
    const streaming = message({ id: 2, role: 'assistant', status: 'queued', content: 'Par' });

    // when
    const messages = play(
      [question, streaming],
      [{ type: 'error', message_id: 2, message: 'the model ran out of memory' }],
    );

    // then
    expect(messages[0]).toEqual(question);
    expect(messages[1]).toMatchObject({ status: 'failed', error: 'the model ran out of memory' });
    expect(problemFrom({ type: 'error', message_id: 2, message: 'x' })).toBeNull();
  });

  it('turns a quota error without a reply into a problem with its reset time', () => {
    // given
    const event: ChatEvent = {
      type: 'error',
      code: 'quota_exceeded',
      message: 'You used your 20000 tokens for today.',
      retry_after: 3600,
      reset_at: '2026-01-02T00:00:00+00:00',
    };

    // when
    const messages = applyChatEvent([question], event);

    // then
    expect(messages).toEqual([question]);
    expect(problemFrom(event)).toEqual({
      code: 'quota_exceeded',
      message: 'You used your 20000 tokens for today.',
      resetAt: '2026-01-02T00:00:00+00:00',
    });
  });
});

describe('mergeServerMessages', () => {
  it('lets the server decide which messages exist but keeps what streamed in live', () => {
    // given
    const local = [
      question,
      message({ id: 2, role: 'assistant', status: 'done', content: 'Gone on the server' }),
      message({ id: 3, role: 'assistant', status: 'queued', content: 'Streamed so far' }),
    ];
    const server = [question, message({ id: 3, role: 'assistant', status: 'queued', content: '' })];

    // when
    const merged = mergeServerMessages(local, server);

    // then
    expect(merged.map((item) => [item.id, item.content])).toEqual([
      [1, 'What is a sonnet?'],
      [3, 'Streamed so far'],
    ]);
  });

  it('keeps messages that arrived live after the server read its answer', () => {
    // given
    const local = [
      question,
      message({ id: 2, role: 'assistant', status: 'queued', content: 'Hi' }),
    ];

    // when
    const merged = mergeServerMessages(local, [question]);

    // then
    expect(merged.map((item) => item.id)).toEqual([1, 2]);
  });

  it('keeps a reply finished here when the server answer was read before it finished', () => {
    // given
    const local = [message({ id: 2, role: 'assistant', status: 'done', content: 'All of it.' })];
    const server = [message({ id: 2, role: 'assistant', status: 'queued', content: '' })];

    // then
    expect(mergeServerMessages(local, server)[0]).toMatchObject({
      status: 'done',
      content: 'All of it.',
    });
  });
});
