/** `PATCH /api/v1/teams/{id}/members/{user}/`: changes a member's role (admins and owners). */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { request } from '../../../lib/api-client';
import { teamsQueryKey, type TeamRole } from '../../../lib/api/get-teams';

export function useUpdateMember(teamId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: number; role: TeamRole }) =>
      request(`/api/v1/teams/${teamId}/members/${userId}/`, { method: 'PATCH', body: { role } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: teamsQueryKey }),
  });
}
