/**
 * Settings -> API tokens: the token list with its loading, empty and error states, and the
 * create -> show secret once -> revoke flow around it.
 */
import { useState } from 'react';

import { EmptyState } from '../../../components/empty-state';
import loadError from '../../../components/load-error.module.css';
import muted from '../../../components/muted.module.css';
import pager from '../../../components/pager.module.css';
import section from '../../../components/section.module.css';
import { Button } from '../../../components/ui/button';
import type { CreatedToken } from '../api/create-token';
import { type ApiToken, useTokens } from '../api/get-tokens';
import { CreateTokenDialog } from './create-token-dialog';
import { RevokeTokenDialog } from './revoke-token-dialog';
import { TokenSecretDialog } from './token-secret-dialog';
import { TokensTable } from './tokens-table';
import styles from './tokens.module.css';

// Dialogs keep showing their subject while they animate closed, so the subject and the open
// flag are separate pieces of state.
interface DialogSubject<T> {
  subject: T | null;
  open: boolean;
}

export function ApiTokensPanel() {
  const [page, setPage] = useState(1);
  const tokens = useTokens(page);
  const [createOpen, setCreateOpen] = useState(false);
  const [created, setCreated] = useState<DialogSubject<CreatedToken>>({
    subject: null,
    open: false,
  });
  const [revoking, setRevoking] = useState<DialogSubject<ApiToken>>({ subject: null, open: false });

  function showSecret(token: CreatedToken) {
    setCreateOpen(false);
    setCreated({ subject: token, open: true });
  }

  function afterRevoke() {
    setRevoking((state) => ({ ...state, open: false }));
    // Revoking the only token on a later page would leave that page empty.
    if (page > 1 && tokens.data?.results.length === 1) setPage(page - 1);
  }

  const newTokenButton = (
    <Button variant="primary" onClick={() => setCreateOpen(true)}>
      New token
    </Button>
  );

  return (
    <section className={styles.panel} aria-labelledby="api-tokens-title">
      <header className={`${section.header} ${section.alignEnd} ${section.smallTitle}`}>
        <div>
          <h2 id="api-tokens-title">API tokens</h2>
          <p className={muted.text}>Personal tokens for using SloughGPT from scripts and tools.</p>
        </div>
        {newTokenButton}
      </header>

      {tokens.isPending ? (
        <p role="status" className={muted.text}>
          Loading tokens…
        </p>
      ) : tokens.isError ? (
        <div role="alert" className={loadError.box}>
          <p>Could not load your tokens. {tokens.error.message}</p>
          <Button size="small" onClick={() => void tokens.refetch()}>
            Try again
          </Button>
        </div>
      ) : tokens.data.results.length === 0 ? (
        <EmptyState
          title="No API tokens yet"
          description="Create a token to call the SloughGPT API from scripts and tools as yourself."
          data-testid="tokens-empty"
        />
      ) : (
        <>
          <TokensTable
            tokens={tokens.data.results}
            onRevoke={(token) => setRevoking({ subject: token, open: true })}
          />
          {(tokens.data.previous || tokens.data.next) && (
            <nav className={pager.pager} aria-label="Token pages">
              <Button
                size="small"
                disabled={!tokens.data.previous}
                onClick={() => setPage(page - 1)}
              >
                Previous
              </Button>
              <span className={muted.text}>Page {page}</span>
              <Button size="small" disabled={!tokens.data.next} onClick={() => setPage(page + 1)}>
                Next
              </Button>
            </nav>
          )}
        </>
      )}

      <CreateTokenDialog open={createOpen} onOpenChange={setCreateOpen} onCreated={showSecret} />
      <TokenSecretDialog
        token={created.subject}
        open={created.open}
        onOpenChange={(open) => setCreated((state) => ({ ...state, open }))}
        // The secret leaves memory as soon as the dialog is gone.
        onClosed={() => setCreated({ subject: null, open: false })}
      />
      <RevokeTokenDialog
        token={revoking.subject}
        open={revoking.open}
        onOpenChange={(open) => setRevoking((state) => ({ ...state, open }))}
        onRevoked={afterRevoke}
      />
    </section>
  );
}
