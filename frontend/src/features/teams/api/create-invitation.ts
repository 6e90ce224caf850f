/** `POST /api/v1/teams/{id}/invitations/`: e-mails an address a link to join at a role. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody } from '../../../lib/api-client';
import { type Invitation, invitationsQueryKey } from './get-invitations';

export type CreateInvitationInput = ApiRequestBody<'/api/v1/teams/{team_id}/invitations/', 'post'>;

export function useCreateInvitation(teamId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateInvitationInput) =>
      api.post<Invitation>(`/api/v1/teams/${teamId}/invitations/`, input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: invitationsQueryKey(teamId) }),
  });
}
