/** Shows a new token's secret once, with a Copy button; the server never returns it again. */
import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import type { CreatedToken } from '../api/create-token';
import { useCopyToClipboard } from '../../../lib/use-copy-to-clipboard';
import styles from './tokens.module.css';

interface TokenSecretDialogProps {
  token: CreatedToken | null;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onClosed: () => void;
}

const copyStatus = {
  idle: '',
  copied: 'Copied to the clipboard.',
  failed: 'Could not copy automatically. Select the token and copy it by hand.',
} as const;

export function TokenSecretDialog({ token, open, onOpenChange, onClosed }: TokenSecretDialogProps) {
  const { state, copy } = useCopyToClipboard();

  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      onClosed={onClosed}
      title={`Token “${token?.name ?? ''}” created`}
      // An accidental click outside must not throw away a secret that cannot be shown again.
      dismissOnOutsidePress={false}
      data-testid="token-secret-dialog"
    >
      <p className={styles.warning}>
        <strong>Copy it now: you won’t see this token again.</strong> Store it somewhere safe, such
        as a password manager. If you lose it, revoke it and create a new one.
      </p>
      <div className={styles.secretRow}>
        <code className={styles.secret} data-testid="token-secret">
          {token?.token}
        </code>
        <Button onClick={() => void copy(token?.token ?? '')}>
          {state === 'copied' ? 'Copied' : 'Copy'}
        </Button>
      </div>
      <p role="status" className={state === 'failed' ? styles.copyFailed : styles.copyStatus}>
        {copyStatus[state]}
      </p>
      <p className={muted.small}>
        Send it with API requests as <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      <DialogActions>
        <DialogClose variant="primary">Done</DialogClose>
      </DialogActions>
    </Dialog>
  );
}
