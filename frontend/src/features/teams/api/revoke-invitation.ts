/** `DELETE /api/v1/invitations/{id}/`: the invitation's link stops working. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { invitationsQueryKey } from './get-invitations';

export function useRevokeInvitation(teamId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (invitationId: number) => api.delete(`/api/v1/invitations/${invitationId}/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: invitationsQueryKey(teamId) }),
  });
}
