/**
 * One open conversation: its messages kept live by the socket, the composer (Send, Stop),
 * Regenerate on the last reply, Edit on the user's messages, feedback, each reply's alignment
 * with the personality, and beside them the settings panel and the personality trend. Compare
 * mode puts two model versions side by side on the same question instead (`ComparePanel`).
 * A conversation shared with you is read-only: its messages without the composer, Regenerate,
 * Edit, feedback, Compare or settings.
 */
import { useEffect, useRef, useState } from 'react';

import muted from '../../../components/muted.module.css';
import { ShareDialog } from '../../../components/sharing/share-dialog';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { allows } from '../../../lib/access-actions';
import { useConversation } from '../api/get-conversation';
import { useSendFeedback } from '../api/send-feedback';
import { useChatSocket } from '../hooks/use-chat-socket';
import { finishedRepliesKey } from '../utils/alignment';
import { isGenerating } from '../utils/chat-stream';
import styles from './chat.module.css';
import { ComparePanel } from './compare-panel';
import { Composer } from './composer';
import { AssistantMessage, UserMessage } from './message-item';
import { PersonalityTrend } from './personality-trend';
import { ProblemBanner } from './problem-banner';
import { ReplyAlignment } from './reply-alignment';
import { SettingsPanel } from './settings-panel';

interface ConversationViewProps {
  conversationId: number;
  /** Tests pass a fake socket; the app uses the browser's. */
  createSocket?: (url: string) => WebSocket;
}

const connection = {
  open: null,
  connecting: <Badge tone="warning">Reconnecting…</Badge>,
  closed: <Badge tone="danger">Not connected</Badge>,
} as const;

export function ConversationView({ conversationId, createSocket }: ConversationViewProps) {
  const conversation = useConversation(conversationId);
  const socket = useChatSocket(conversationId, createSocket);
  const feedback = useSendFeedback(conversationId);
  const [comparing, setComparing] = useState(false);
  const end = useRef<HTMLDivElement>(null);
  const messages = conversation.data?.messages ?? [];
  const generating = messages.some(isGenerating);
  const last = messages.at(-1);
  const lastText = last ? `${last.id}:${last.content.length}:${last.status}` : '';

  // Follows the reply as it streams in.
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'end' });
  }, [lastText]);

  if (conversation.isPending) {
    return (
      <p role="status" className={muted.small}>
        Loading the conversation…
      </p>
    );
  }
  if (conversation.isError) {
    return (
      <div role="alert" className={styles.problem}>
        <p>Could not load this conversation. {conversation.error.message}</p>
        <Button size="small" onClick={() => void conversation.refetch()}>
          Try again
        </Button>
      </div>
    );
  }

  const detail = conversation.data;
  // Shares of a conversation are read-only: only its owner writes in it.
  const writable = allows(detail.access_role, 'edit');
  const lastAssistant = [...messages].reverse().find((message) => message.role === 'assistant');
  const personality = detail.personality;
  const repliesKey = finishedRepliesKey(messages);
  const problem = socket.problem && (
    <ProblemBanner problem={socket.problem} onDismiss={socket.dismissProblem} />
  );

  return (
    <div className={styles.conversation}>
      <section className={styles.thread} aria-label={detail.title || 'Conversation'}>
        <header className={styles.threadHeader}>
          <h2>{detail.title || 'New conversation'}</h2>
          <span className={muted.small}>
            {detail.model_name ?? 'No model: choose one in Settings'}
          </span>
          {connection[socket.status]}
          {writable && (
            <Button size="small" variant="ghost" onClick={() => setComparing(!comparing)}>
              {comparing ? 'Back to chat' : 'Compare'}
            </Button>
          )}
          <ShareDialog kind="conversation" id={detail.id} />
        </header>
        {!writable && (
          <p role="note" className={muted.small} data-testid="read-only-note">
            Shared with you: read-only
          </p>
        )}
        {comparing && writable ? (
          <ComparePanel
            conversationId={detail.id}
            onCompare={socket.compare}
            onVote={socket.vote}
            onStop={socket.stop}
            problem={problem}
          />
        ) : (
          <>
            <div className={styles.messages} aria-live="polite">
              {messages.length === 0 && (
                <p className={muted.small}>
                  {writable ? 'Write the first message below.' : 'No messages yet.'}
                </p>
              )}
              {messages.map((message) =>
                message.role === 'user' ? (
                  <UserMessage
                    key={message.id}
                    message={message}
                    canEdit={!generating}
                    onEdit={writable ? (content) => socket.edit(message.id, content) : undefined}
                  />
                ) : (
                  <AssistantMessage
                    key={message.id}
                    message={message}
                    isLast={message.id === lastAssistant?.id}
                    canRegenerate={!generating}
                    onRegenerate={writable ? socket.regenerate : undefined}
                    onRate={
                      writable
                        ? (rating) => feedback.mutate({ messageId: message.id, input: { rating } })
                        : undefined
                    }
                    alignment={
                      personality && (
                        <ReplyAlignment
                          conversationId={detail.id}
                          personality={personality}
                          repliesKey={repliesKey}
                          messageId={message.id}
                        />
                      )
                    }
                  />
                ),
              )}
              <div ref={end} />
            </div>
            {problem}
            {writable && (
              <Composer
                generating={generating}
                disabled={detail.model_version_id === null}
                onSend={socket.send}
                onStop={socket.stop}
              />
            )}
          </>
        )}
      </section>
      <div className={styles.sidebar}>
        {writable && <SettingsPanel key={detail.id} conversation={detail} />}
        <PersonalityTrend
          conversationId={detail.id}
          personality={personality}
          repliesKey={repliesKey}
        />
      </div>
    </div>
  );
}
