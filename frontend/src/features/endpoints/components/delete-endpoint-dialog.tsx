/** Asks before deleting an endpoint: its key is gone with it, and conversations using its
 * models need another model for their next reply. */
import { ConfirmDialog } from '../../../components/ui/dialog';
import type { RemoteEndpoint } from '../../../lib/api/get-endpoints';
import { useDeleteEndpoint } from '../api/delete-endpoint';

interface DeleteEndpointDialogProps {
  endpoint: RemoteEndpoint | null;
  open: boolean;
  onOpenChange: (open: boolean) => void;
}

export function DeleteEndpointDialog({ endpoint, open, onOpenChange }: DeleteEndpointDialogProps) {
  const remove = useDeleteEndpoint();

  function changeOpen(next: boolean) {
    // A failed attempt's message belongs to that attempt only.
    if (next) remove.reset();
    onOpenChange(next);
  }

  return (
    <ConfirmDialog
      open={open}
      onOpenChange={changeOpen}
      title={`Delete “${endpoint?.name ?? ''}”?`}
      description="Its API key is deleted with it. Conversations that use its models keep their messages and need another model for their next reply."
      confirmLabel="Delete endpoint"
      onConfirm={() => {
        if (endpoint !== null) remove.mutate(endpoint.id, { onSuccess: () => onOpenChange(false) });
      }}
      pending={remove.isPending}
      error={remove.error?.message}
    />
  );
}
