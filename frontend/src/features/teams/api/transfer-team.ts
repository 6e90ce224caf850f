/** `POST /api/v1/teams/{id}/transfer/`: the owner hands the team to a member, staying as admin. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { teamsQueryKey } from '../../../lib/api/get-teams';

type Transferred = ApiResponse<'/api/v1/teams/{team_id}/transfer/', 'post', 200>;

export function useTransferTeam(teamId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: number) =>
      api.post<Transferred>(`/api/v1/teams/${teamId}/transfer/`, { user_id: userId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: teamsQueryKey }),
  });
}
