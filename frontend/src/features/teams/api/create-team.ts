/** `POST /api/v1/teams/`: creates a team; its creator is its owner. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { teamsQueryKey } from '../../../lib/api/get-teams';

export type CreateTeamInput = ApiRequestBody<'/api/v1/teams/', 'post'>;
export type CreatedTeam = ApiResponse<'/api/v1/teams/', 'post', 201>;

export function useCreateTeam() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateTeamInput) => api.post<CreatedTeam>('/api/v1/teams/', input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: teamsQueryKey }),
  });
}
