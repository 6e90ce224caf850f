/** `GET /api/v1/teams/{id}/usage/`: the team's use of each limit of its plan, for its members. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { teamQueryKey } from './get-team';

export type TeamUsage = ApiResponse<'/api/v1/teams/{team_id}/usage/', 'get', 200>;

export function useTeamUsage(teamId: number) {
  return useQuery({
    queryKey: [...teamQueryKey(teamId), 'usage'],
    queryFn: ({ signal }) => api.get<TeamUsage>(`/api/v1/teams/${teamId}/usage/`, { signal }),
  });
}
