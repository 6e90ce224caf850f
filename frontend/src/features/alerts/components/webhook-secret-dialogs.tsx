/** A rule's webhook secret: shown once after the save that made it or a rotation (the server
 * never returns it again), and the confirmation a rotation needs, since the old secret stops
 * signing at once. */
import muted from '../../../components/muted.module.css';
import { SecretOnce } from '../../../components/secret-once';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { FormError } from '../../../components/ui/form';
import type { AlertRule } from '../api/get-alert-rules';
import { useRotateAlertSecret } from '../api/rotate-alert-secret';

export interface ShownSecret {
  ruleName: string;
  secret: string;
}

export function WebhookSecretDialog({
  shown,
  onClose,
}: {
  shown: ShownSecret | null;
  onClose: () => void;
}) {
  return (
    <Dialog
      open={shown !== null}
      onOpenChange={(open) => !open && onClose()}
      title={`Webhook secret of ${shown?.ruleName ?? 'the rule'}`}
      // An accidental click outside must not throw away a secret that cannot be shown again.
      dismissOnOutsidePress={false}
      data-testid="webhook-secret-dialog"
    >
      <p>
        <strong>Copy it now: you won’t see this secret again.</strong> If you lose it, rotate it to
        get a new one.
      </p>
      {shown && <SecretOnce secret={shown.secret} testId="webhook-secret" />}
      <p className={muted.small}>
        Each delivery carries <code>X-SloughGPT-Signature: sha256=&lt;HMAC-SHA256&gt;</code> of{' '}
        <code>&lt;timestamp&gt;.&lt;body&gt;</code> keyed with it.
      </p>
      <DialogActions>
        <DialogClose variant="primary">Done</DialogClose>
      </DialogActions>
    </Dialog>
  );
}

export function RotateSecretDialog({
  rule,
  onClose,
  onRotated,
}: {
  rule: AlertRule | null;
  onClose: () => void;
  onRotated: (shown: ShownSecret) => void;
}) {
  const rotate = useRotateAlertSecret();
  return (
    <Dialog
      open={rule !== null}
      onOpenChange={(open) => !open && onClose()}
      title={`Rotate the webhook secret of ${rule?.name ?? 'the rule'}?`}
      description="The webhook's next deliveries are signed with a new secret; the current one stops working at once."
    >
      {rotate.error && <FormError>{rotate.error.message}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button
          variant="danger"
          disabled={rotate.isPending}
          onClick={() =>
            rule &&
            rotate.mutate(rule.id, {
              onSuccess: ({ webhook_secret }) => {
                onClose();
                onRotated({ ruleName: rule.name, secret: webhook_secret });
              },
            })
          }
        >
          Rotate secret
        </Button>
      </DialogActions>
    </Dialog>
  );
}
