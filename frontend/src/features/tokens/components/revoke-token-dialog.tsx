/** Asks before revoking a token, since every client using it stops working at once. */
import { ConfirmDialog } from '../../../components/ui/dialog';
import { useToast } from '../../../components/ui/toast';
import type { ApiToken } from '../api/get-tokens';
import { useRevokeToken } from '../api/revoke-token';

interface RevokeTokenDialogProps {
  token: ApiToken | null;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onRevoked: (token: ApiToken) => void;
}

export function RevokeTokenDialog({
  token,
  open,
  onOpenChange,
  onRevoked,
}: RevokeTokenDialogProps) {
  const revokeToken = useRevokeToken();
  const toast = useToast();

  function changeOpen(next: boolean) {
    // A failed attempt's message belongs to that attempt only.
    if (next) revokeToken.reset();
    onOpenChange(next);
  }

  function confirm() {
    if (token === null) return;
    revokeToken.mutate(token.id, {
      onSuccess: () => {
        toast.add({
          title: 'Token revoked',
          description: `“${token.name}” can no longer be used.`,
        });
        onRevoked(token);
      },
    });
  }

  return (
    <ConfirmDialog
      open={open}
      onOpenChange={changeOpen}
      title={`Revoke “${token?.name ?? ''}”?`}
      description="Anything using this token will be refused from now on. This cannot be undone."
      confirmLabel="Revoke token"
      onConfirm={confirm}
      pending={revokeToken.isPending}
      error={revokeToken.error?.message}
    />
  );
}
