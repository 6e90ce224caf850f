/**
 * The conversations column: search (titles and message text), "All / Yours / Shared with
 * you", New chat, each conversation with Rename and Delete (your own; shared ones are marked
 * and read-only), and exporting feedback as a dataset: liked or corrected replies, or
 * preference pairs for DPO.
 */
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';

import { AccessBadge } from '../../../components/access-badge';
import muted from '../../../components/muted.module.css';
import { type Scope, ScopeFilter, scopeQuery } from '../../../components/scope-filter';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { ConfirmDialog, Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { useToast } from '../../../components/ui/toast';
import { allows } from '../../../lib/access-actions';
import { useDeleteConversation } from '../api/delete-conversation';
import { useExportFeedback } from '../api/export-feedback';
import { type Conversation, useConversations } from '../api/get-conversations';
import { useUpdateConversation } from '../api/update-conversation';
import styles from './chat.module.css';

const SEARCH_DELAY_MS = 300;

export function ConversationList({ activeId }: { activeId: number | null }) {
  const [typed, setTyped] = useState('');
  const [search, setSearch] = useState('');
  const [scope, setScope] = useState<Scope>('all');
  const conversations = useConversations(search, scopeQuery(scope));
  const exportFeedback = useExportFeedback();
  const toast = useToast();
  const navigate = useNavigate();
  const [renaming, setRenaming] = useState<Conversation | null>(null);
  const [deleting, setDeleting] = useState<Conversation | null>(null);
  const remove = useDeleteConversation();

  // Waits for a pause in typing, so a search is not sent for every key.
  useEffect(() => {
    const timer = setTimeout(() => setSearch(typed), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [typed]);

  const list = conversations.data?.results ?? [];

  return (
    <nav className={stack.stack} aria-label="Conversations">
      <Button variant="primary" onClick={() => void navigate('/chat')}>
        New chat
      </Button>
      <label className="visually-hidden" htmlFor="conversation-search">
        Search conversations
      </label>
      <input
        id="conversation-search"
        type="search"
        className={styles.search}
        placeholder="Search conversations"
        value={typed}
        onChange={(event) => setTyped(event.target.value)}
      />
      <ScopeFilter label="Whose conversations" value={scope} onChange={setScope} />
      {conversations.isPending ? (
        <p role="status" className={muted.small}>
          Loading conversations…
        </p>
      ) : conversations.isError ? (
        <p role="alert" className={styles.fieldError}>
          Could not load conversations. {conversations.error.message}
        </p>
      ) : list.length === 0 ? (
        <p className={muted.small}>
          {search
            ? 'Nothing matches.'
            : scope === 'shared'
              ? 'Nothing shared with you yet.'
              : 'No conversations yet.'}
        </p>
      ) : (
        <ul className={styles.conversations}>
          {list.map((conversation) => (
            <li
              key={conversation.id}
              className={styles.conversationItem}
              aria-current={conversation.id === activeId ? 'page' : undefined}
              data-testid="conversation-item"
            >
              <Link to={`/chat/${conversation.id}`} className={styles.conversationLink}>
                <span className={styles.conversationTitle}>{conversation.title || 'Untitled'}</span>
                <span className={muted.small}>{conversation.model_name ?? 'no model'}</span>
              </Link>
              <div className={styles.conversationActions}>
                <AccessBadge accessRole={conversation.access_role} />
                {allows(conversation.access_role, 'edit') && (
                  <Button size="small" variant="ghost" onClick={() => setRenaming(conversation)}>
                    Rename
                  </Button>
                )}
                {allows(conversation.access_role, 'delete') && (
                  <Button
                    size="small"
                    variant="ghost"
                    onClick={() => {
                      remove.reset();
                      setDeleting(conversation);
                    }}
                  >
                    Delete
                  </Button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {(
        [
          ['pairs', 'Export feedback as dataset', 'Liked and corrected replies'],
          ['preferences', 'Export preferences (DPO)', 'Preference pairs from your feedback'],
        ] as const
      ).map(([kind, label, what]) => (
        <Button
          key={kind}
          size="small"
          disabled={exportFeedback.isPending}
          onClick={() =>
            exportFeedback.mutate(kind, {
              onSuccess: (result) =>
                toast.add({
                  title: `Exported ${result.pairs} ${result.pairs === 1 ? 'pair' : 'pairs'}`,
                  description: `${what} are now dataset version ${result.dataset_version_id} on the Datasets page.`,
                }),
              onError: (error) =>
                toast.add({ title: 'Could not export feedback', description: error.message }),
            })
          }
        >
          {label}
        </Button>
      ))}

      <Dialog
        open={renaming !== null}
        onOpenChange={(open) => {
          if (!open) setRenaming(null);
        }}
        title="Rename conversation"
      >
        {renaming && <RenameForm conversation={renaming} onDone={() => setRenaming(null)} />}
      </Dialog>
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => {
          if (!open) setDeleting(null);
        }}
        title={`Delete “${deleting?.title || 'Untitled'}”?`}
        description="Its messages are removed. A reply still being written stops."
        confirmLabel="Delete conversation"
        pending={remove.isPending}
        error={remove.error?.message}
        onConfirm={() => {
          if (deleting === null) return;
          remove.mutate(deleting.id, {
            onSuccess: () => {
              if (deleting.id === activeId) void navigate('/chat');
              setDeleting(null);
            },
          });
        }}
      />
    </nav>
  );
}

function RenameForm({ conversation, onDone }: { conversation: Conversation; onDone: () => void }) {
  const update = useUpdateConversation();
  return (
    <Form
      aria-label="Rename conversation"
      onFormSubmit={(values) =>
        update.mutate(
          { id: conversation.id, input: { title: String(values.title ?? '') } },
          { onSuccess: onDone },
        )
      }
    >
      <TextField name="title" label="Title" defaultValue={conversation.title} maxLength={200} />
      {update.error && <FormError>{update.error.message}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={update.isPending}>
          Rename
        </Button>
      </DialogActions>
    </Form>
  );
}
