/** `DELETE /api/v1/teams/{id}/members/{user}/`: removes a member (admins and owners). */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { teamsQueryKey } from '../../../lib/api/get-teams';

export function useRemoveMember(teamId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: number) => api.delete(`/api/v1/teams/${teamId}/members/${userId}/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: teamsQueryKey }),
  });
}
