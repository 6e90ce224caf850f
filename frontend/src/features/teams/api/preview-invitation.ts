/**
 * `POST /api/v1/invitations/preview/`: what an invitation link offers (team, role, the masked
 * address it was sent to), or why it no longer works (410). POST keeps the token out of URLs.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type InvitationPreview = ApiResponse<'/api/v1/invitations/preview/', 'post', 200>;

export function useInvitationPreview(token: string) {
  return useQuery({
    queryKey: ['invitation-preview', token],
    queryFn: () => api.post<InvitationPreview>('/api/v1/invitations/preview/', { token }),
    // A used or expired link stays so; asking again tells nothing new.
    retry: false,
  });
}
