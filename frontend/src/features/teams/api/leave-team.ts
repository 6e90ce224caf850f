/** `POST /api/v1/teams/{id}/leave/`: leaves a team (its only owner cannot). */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';

export function useLeaveTeam() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (teamId: number) => api.post(`/api/v1/teams/${teamId}/leave/`),
    // What the team shared is no longer visible anywhere.
    onSuccess: () => queryClient.invalidateQueries(),
  });
}
