/** `DELETE /api/v1/teams/{id}/`: deletes a team (owners); its objects go back to their creators. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';

export function useDeleteTeam() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (teamId: number) => api.delete(`/api/v1/teams/${teamId}/`),
    // Every list may change: objects the team owned are their creators' again.
    onSuccess: () => queryClient.invalidateQueries(),
  });
}
