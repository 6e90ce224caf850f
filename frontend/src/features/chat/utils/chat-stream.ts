/**
 * How the chat socket's events change the messages on screen. Pure functions, so the page and
 * the tests agree on every case: a new or edited message is put in place by id, removed ids
 * vanish, deltas append to the reply they belong to (creating it when its "message" event was
 * missed), "done" replaces the streamed text with the stored one and adds the numbers, and an
 * error either fails one reply or becomes a problem shown above the composer. A "title" event
 * (the first message named the conversation) changes no message; the socket hook renames.
 */
import type { ApiResponse } from '../../../lib/api-client';

type RawMessage = ApiResponse<
  '/api/v1/chat/conversations/{conversation_id}/',
  'get',
  200
>['messages'][number];

/** A message with the fields the schema marks optional (they have defaults) filled in. */
export type ChatMessage = Required<RawMessage>;
export type MessageStatus = ChatMessage['status'];

export interface Citation {
  source: number;
  document_id: number;
  document_name: string;
  chunk_index: number;
  score: number;
  /** The sentences used, when the knowledge graph found the passage (offsets in its chunk). */
  sentences?: { text: string; start: number; end: number }[];
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export type ChatEvent =
  | { type: 'message'; message: RawMessage }
  | { type: 'removed'; message_ids: number[] }
  | { type: 'notice'; message_id: number; message: string }
  | { type: 'delta'; message_id: number; text: string }
  | { type: 'title'; conversation_id: number; title: string }
  | {
      type: 'done';
      message_id: number;
      status: MessageStatus;
      finish_reason: string;
      content: string;
      usage?: Usage;
      ttft_ms: number | null;
      tokens_per_s: number | null;
      citations: unknown;
      notice: string;
    }
  | {
      type: 'error';
      message_id?: number;
      code?: string;
      message: string;
      retry_after?: number;
      reset_at?: string;
    };

/** An error that belongs to no single reply: shown once, above the composer. */
export interface ChatProblem {
  code: string;
  message: string;
  /** When the quota allows generating again (ISO time), for quota errors. */
  resetAt: string | null;
}

export function normalizeMessage(raw: RawMessage): ChatMessage {
  return {
    content: '',
    status: 'done',
    finish_reason: '',
    error: '',
    notice: '',
    prompt_tokens: null,
    completion_tokens: null,
    ttft_ms: null,
    tokens_per_s: null,
    citations: [],
    feedback: '',
    feedback_text: '',
    ...raw,
  };
}

/** A reply we only know from its deltas, because its "message" event came before we listened. */
function placeholderReply(id: number): ChatMessage {
  return normalizeMessage({ id, role: 'assistant', status: 'queued', created_at: '' });
}

export function isGenerating(message: ChatMessage): boolean {
  return message.status === 'queued';
}

export function citationsOf(message: ChatMessage): Citation[] {
  if (!Array.isArray(message.citations)) return [];
  return message.citations.filter(
    (item): item is Citation =>
      typeof item === 'object' &&
      item !== null &&
      typeof (item as Citation).document_name === 'string' &&
      typeof (item as Citation).chunk_index === 'number' &&
      typeof (item as Citation).score === 'number',
  );
}

/** `messages` with `message` put in place: replaced when its id is known, else inserted by id. */
function upsert(messages: readonly ChatMessage[], message: ChatMessage): ChatMessage[] {
  const index = messages.findIndex((item) => item.id === message.id);
  if (index !== -1) return messages.map((item, at) => (at === index ? message : item));
  const next = [...messages, message];
  return next.sort((a, b) => a.id - b.id);
}

function patch(
  messages: readonly ChatMessage[],
  id: number,
  change: (message: ChatMessage) => ChatMessage,
): ChatMessage[] {
  const current = messages.find((item) => item.id === id) ?? placeholderReply(id);
  return upsert(messages, change(current));
}

export function applyChatEvent(messages: readonly ChatMessage[], event: ChatEvent): ChatMessage[] {
  switch (event.type) {
    case 'message': {
      const incoming = normalizeMessage(event.message);
      const known = messages.find((item) => item.id === incoming.id);
      // A queued reply's row is empty until it ends; keep what already streamed in.
      const keep =
        known && isGenerating(incoming) && known.content.length > incoming.content.length;
      return upsert(messages, keep ? { ...incoming, content: known.content } : incoming);
    }
    case 'removed': {
      const gone = new Set(event.message_ids);
      return messages.filter((item) => !gone.has(item.id));
    }
    case 'notice':
      return patch(messages, event.message_id, (item) => ({ ...item, notice: event.message }));
    case 'delta':
      return patch(messages, event.message_id, (item) =>
        // A late delta must not reopen a reply that already finished.
        isGenerating(item) ? { ...item, content: item.content + event.text } : item,
      );
    case 'done':
      return patch(messages, event.message_id, (item) => ({
        ...item,
        status: event.status,
        finish_reason: event.finish_reason,
        content: event.content,
        ttft_ms: event.ttft_ms,
        tokens_per_s: event.tokens_per_s,
        citations: event.citations ?? [],
        notice: event.notice || item.notice,
        prompt_tokens: event.usage?.prompt_tokens ?? item.prompt_tokens,
        completion_tokens: event.usage?.completion_tokens ?? item.completion_tokens,
      }));
    case 'title':
      return [...messages];
    case 'error':
      if (event.message_id === undefined) return [...messages];
      return patch(messages, event.message_id, (item) => ({
        ...item,
        status: 'failed',
        finish_reason: 'error',
        error: event.message,
      }));
  }
}

/** The problem to show for an error event that is not about one reply, else null. */
export function problemFrom(event: ChatEvent): ChatProblem | null {
  if (event.type !== 'error' || event.message_id !== undefined) return null;
  return {
    code: event.code ?? 'error',
    message: event.message,
    resetAt: event.reset_at ?? null,
  };
}

/**
 * The server's messages with what streamed in live kept. The server decides which messages
 * exist up to the newest one it sent; anything newer here arrived by socket after it read them.
 * A reply the server still has as queued keeps its longer streamed text, and one that finished
 * here first stays finished.
 */
export function mergeServerMessages(
  local: readonly ChatMessage[],
  server: readonly ChatMessage[],
): ChatMessage[] {
  const byId = new Map(local.map((item) => [item.id, item]));
  const newestOnServer = server.reduce((newest, item) => Math.max(newest, item.id), 0);
  const merged = server.map((item) => {
    const mine = byId.get(item.id);
    if (mine === undefined || !isGenerating(item)) return item;
    if (!isGenerating(mine)) return mine;
    return mine.content.length > item.content.length ? { ...item, content: mine.content } : item;
  });
  return [...merged, ...local.filter((item) => item.id > newestOnServer)];
}

/** True for the events this module understands; anything else from the socket is ignored. */
export function isChatEvent(value: { type: string }): value is ChatEvent {
  return ['message', 'removed', 'notice', 'delta', 'title', 'done', 'error'].includes(value.type);
}
