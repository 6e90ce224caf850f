/** `GET /api/v1/teams/{id}/`: one team with its members and your role in it. */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { teamsQueryKey } from '../../../lib/api/get-teams';

export type TeamDetail = ApiResponse<'/api/v1/teams/{team_id}/', 'get', 200>;
export type TeamMember = TeamDetail['members'][number];

export function teamQueryKey(teamId: number) {
  return [...teamsQueryKey, 'detail', teamId] as const;
}

export function teamQueryOptions(teamId: number) {
  return queryOptions({
    queryKey: teamQueryKey(teamId),
    queryFn: ({ signal }) => api.get<TeamDetail>(`/api/v1/teams/${teamId}/`, { signal }),
  });
}

export function useTeam(teamId: number) {
  return useQuery(teamQueryOptions(teamId));
}
