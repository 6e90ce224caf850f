/** The numbers shown under a finished reply: time to first token, speed and token counts. */
import type { ChatMessage } from './chat-stream';

export function messageStats(message: ChatMessage): string | null {
  const parts: string[] = [];
  if (message.ttft_ms !== null) {
    parts.push(
      message.ttft_ms >= 1000
        ? `first token ${(message.ttft_ms / 1000).toFixed(2)} s`
        : `first token ${Math.round(message.ttft_ms)} ms`,
    );
  }
  if (message.tokens_per_s !== null) parts.push(`${message.tokens_per_s.toFixed(1)} tok/s`);
  if (message.completion_tokens !== null) {
    parts.push(
      `${message.completion_tokens} ${message.completion_tokens === 1 ? 'token' : 'tokens'}`,
    );
  }
  return parts.length === 0 ? null : parts.join(' · ');
}
