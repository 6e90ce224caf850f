/**
 * Where the user writes: Enter sends (Shift+Enter for a new line), and while a reply is being
 * generated Stop ends it early, keeping what was written so far.
 */
import { type FormEvent, type KeyboardEvent, useState } from 'react';

import buttonRow from '../../../components/button-row.module.css';
import { Button } from '../../../components/ui/button';
import styles from './chat.module.css';

interface ComposerProps {
  generating: boolean;
  disabled?: boolean;
  placeholder?: string;
  /** Resolves true when the message was taken, so the box can be cleared. */
  onSend: (content: string) => Promise<boolean> | boolean;
  onStop?: () => void;
}

export function Composer({
  generating,
  disabled = false,
  placeholder = 'Write a message…',
  onSend,
  onStop,
}: ComposerProps) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const canSend = !generating && !disabled && !sending && text.trim() !== '';

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    if (!canSend) return;
    setSending(true);
    try {
      if (await onSend(text)) setText('');
    } finally {
      setSending(false);
    }
  }

  function keyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  }

  return (
    <form className={styles.composer} onSubmit={(event) => void submit(event)}>
      <label htmlFor="chat-input" className="visually-hidden">
        Message
      </label>
      <textarea
        id="chat-input"
        data-testid="chat-input"
        className={styles.input}
        value={text}
        rows={Math.min(8, Math.max(2, text.split('\n').length))}
        placeholder={placeholder}
        disabled={disabled}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={keyDown}
      />
      <div className={`${buttonRow.row} ${buttonRow.end}`}>
        {generating && onStop && (
          <Button variant="danger" onClick={onStop}>
            Stop
          </Button>
        )}
        <Button type="submit" variant="primary" disabled={!canSend}>
          Send
        </Button>
      </div>
    </form>
  );
}
