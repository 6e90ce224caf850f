/**
 * One message. The user's own: plain text, with Edit to change it and ask again. A reply:
 * Markdown as it streams, any context notice, its error, the sources it cited, its speed, and
 * thumbs up/down icons (liked replies can be exported as training data), and its alignment
 * with the conversation's personality on demand. Without the handlers (a conversation shared
 * read-only) Edit, Regenerate and the thumbs are left out.
 */
import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';

import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { type ChatMessage, citationsOf, isGenerating } from '../utils/chat-stream';
import { messageStats } from '../utils/message-stats';
import styles from './chat.module.css';
import { Citations } from './citations';
import { ThumbIcon } from './feedback-icons';
import { MarkdownView } from './markdown-view';

interface UserMessageProps {
  message: ChatMessage;
  /** False while a reply is generating: the server refuses edits then. */
  canEdit: boolean;
  onEdit?: (content: string) => boolean;
}

export function UserMessage({ message, canEdit, onEdit }: UserMessageProps) {
  const [draft, setDraft] = useState<string | null>(null);

  if (draft !== null && onEdit) {
    return (
      <div className={`${styles.message} ${styles.user}`} data-testid="user-message">
        <label className="visually-hidden" htmlFor={`edit-${message.id}`}>
          Edit your message
        </label>
        <textarea
          id={`edit-${message.id}`}
          className={styles.editBox}
          value={draft}
          rows={Math.min(10, Math.max(2, draft.split('\n').length))}
          onChange={(event) => setDraft(event.target.value)}
        />
        <div className={styles.messageActions}>
          <Button size="small" onClick={() => setDraft(null)}>
            Cancel
          </Button>
          <Button
            size="small"
            variant="primary"
            disabled={draft.trim() === '' || !canEdit}
            onClick={() => {
              if (onEdit(draft)) setDraft(null);
            }}
          >
            Save and resend
          </Button>
        </div>
      </div>
    );
  }

  return (
    <div className={`${styles.message} ${styles.user}`} data-testid="user-message">
      <p className={styles.userText}>{message.content}</p>
      {onEdit && (
        <div className={styles.messageActions}>
          <Button
            size="small"
            variant="ghost"
            disabled={!canEdit}
            onClick={() => setDraft(message.content)}
          >
            Edit
          </Button>
        </div>
      )}
    </div>
  );
}

interface AssistantMessageProps {
  message: ChatMessage;
  isLast: boolean;
  canRegenerate: boolean;
  onRegenerate?: () => void;
  onRate?: (rating: 'up' | 'down' | '') => void;
  /** Shown among the finished reply's actions (its alignment with the personality). */
  alignment?: ReactNode;
}

export function AssistantMessage({
  message,
  isLast,
  canRegenerate,
  onRegenerate,
  onRate,
  alignment,
}: AssistantMessageProps) {
  const generating = isGenerating(message);
  const stats = messageStats(message);
  const citations = citationsOf(message);

  return (
    <div
      className={`${styles.message} ${styles.assistant}`}
      data-testid="assistant-message"
      data-status={message.status}
      aria-busy={generating}
    >
      {message.notice && (
        <p role="note" className={styles.notice} data-testid="message-notice">
          {message.notice}
        </p>
      )}
      {message.content ? (
        <MarkdownView source={message.content} />
      ) : generating ? (
        <p className={styles.thinking} role="status">
          Thinking…
        </p>
      ) : null}
      {message.status === 'failed' && (
        <p role="alert" className={styles.messageError}>
          {message.error || 'The reply could not be generated.'}
        </p>
      )}
      {message.status === 'stopped' && <Badge tone="warning">Stopped</Badge>}
      {message.finish_reason === 'length' && (
        <Badge tone="warning">Cut off at the token limit</Badge>
      )}
      {!generating && <Citations content={message.content} citations={citations} />}
      {!generating && (
        <div className={styles.messageFooter}>
          {stats && (
            <span className={styles.stats} data-testid="message-stats">
              {stats}{' '}
              {/* Where the reply's time went: its trace, from the web to the model and back. */}
              <Link to={`/monitoring/traces?message=${message.id}`}>Trace</Link>
            </span>
          )}
          <div className={styles.messageActions}>
            {message.status !== 'failed' && message.content !== '' && alignment}
            {message.status !== 'failed' && onRate && (
              <>
                <Button
                  size="small"
                  variant="ghost"
                  aria-label="Good answer"
                  aria-pressed={message.feedback === 'up'}
                  onClick={() => onRate(message.feedback === 'up' ? '' : 'up')}
                >
                  <ThumbIcon direction="up" filled={message.feedback === 'up'} />
                </Button>
                <Button
                  size="small"
                  variant="ghost"
                  aria-label="Bad answer"
                  aria-pressed={message.feedback === 'down'}
                  onClick={() => onRate(message.feedback === 'down' ? '' : 'down')}
                >
                  <ThumbIcon direction="down" filled={message.feedback === 'down'} />
                </Button>
              </>
            )}
            {isLast && onRegenerate && (
              <Button size="small" variant="ghost" disabled={!canRegenerate} onClick={onRegenerate}>
                Regenerate
              </Button>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
