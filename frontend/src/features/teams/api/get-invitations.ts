/** `GET /api/v1/teams/{id}/invitations/`: a team's invitations not yet accepted or revoked. */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type InvitationPage = ApiResponse<'/api/v1/teams/{team_id}/invitations/', 'get', 200>;
export type Invitation = InvitationPage['results'][number];

export function invitationsQueryKey(teamId: number) {
  return ['invitations', teamId] as const;
}

export function invitationsQueryOptions(teamId: number) {
  return queryOptions({
    queryKey: invitationsQueryKey(teamId),
    queryFn: ({ signal }) =>
      api.get<InvitationPage>(`/api/v1/teams/${teamId}/invitations/`, {
        query: { page_size: 500 },
        signal,
      }),
  });
}

export function useInvitations(teamId: number, enabled: boolean) {
  return useQuery({ ...invitationsQueryOptions(teamId), enabled });
}
