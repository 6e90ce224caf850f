/** `PATCH /api/v1/teams/{id}/`: renames a team or changes its description (admins and owners). */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { type ApiRequestBody, request } from '../../../lib/api-client';
import { teamsQueryKey } from '../../../lib/api/get-teams';
import type { TeamDetail } from './get-team';

export type TeamUpdateInput = ApiRequestBody<'/api/v1/teams/{team_id}/', 'patch'>;

export function useUpdateTeam(teamId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: TeamUpdateInput) =>
      request<TeamDetail>(`/api/v1/teams/${teamId}/`, { method: 'PATCH', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: teamsQueryKey }),
  });
}
