/**
 * Deleting one's own personality, after a confirmation. While something uses it (a
 * conversation, a model version made with it) the server refuses with 409 and names what;
 * that reason stays in the dialog.
 */
import { ConfirmDialog } from '../../../components/ui/dialog';
import { useDeletePersonality } from '../api/delete-personality';
import type { Personality } from '../api/get-personality';

interface DeletePersonalityDialogProps {
  personality: Personality;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onDeleted: () => void;
}

export function DeletePersonalityDialog({
  personality,
  open,
  onOpenChange,
  onDeleted,
}: DeletePersonalityDialogProps) {
  const remove = useDeletePersonality();
  return (
    <ConfirmDialog
      open={open}
      onOpenChange={(next) => {
        if (!next) remove.reset();
        onOpenChange(next);
      }}
      title={`Delete ${personality.name}?`}
      description="Every version and its files are deleted. This cannot be undone."
      confirmLabel="Delete personality"
      onConfirm={() => remove.mutate(personality.id, { onSuccess: onDeleted })}
      pending={remove.isPending}
      error={remove.error?.message}
    />
  );
}
