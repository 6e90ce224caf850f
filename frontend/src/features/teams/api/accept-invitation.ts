/** `POST /api/v1/invitations/accept/`: joins the team the link invites to. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type JoinedTeam = ApiResponse<'/api/v1/invitations/accept/', 'post', 200>;

export function useAcceptInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => api.post<JoinedTeam>('/api/v1/invitations/accept/', { token }),
    // The team's objects are now visible in every list.
    onSuccess: () => queryClient.invalidateQueries(),
  });
}
