/** Shows a new token's secret once, with a Copy button; the server never returns it again. */
import muted from '../../../components/muted.module.css';
import { SecretOnce } from '../../../components/secret-once';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import type { CreatedToken } from '../api/create-token';
import styles from './tokens.module.css';

interface TokenSecretDialogProps {
  token: CreatedToken | null;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onClosed: () => void;
}

export function TokenSecretDialog({ token, open, onOpenChange, onClosed }: TokenSecretDialogProps) {
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
      <SecretOnce secret={token?.token ?? ''} testId="token-secret" what="token" />
      <p className={muted.small}>
        Send it with API requests as <code>Authorization: Bearer &lt;token&gt;</code>.
      </p>
      <DialogActions>
        <DialogClose variant="primary">Done</DialogClose>
      </DialogActions>
    </Dialog>
  );
}
