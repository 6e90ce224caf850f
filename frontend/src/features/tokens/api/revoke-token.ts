/** `DELETE /api/v1/tokens/{id}/`: revokes a token; clients using it are refused from then on. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { tokensQueryKey } from './get-tokens';

export function revokeToken(tokenId: number): Promise<undefined> {
  return api.delete(`/api/v1/tokens/${tokenId}/`);
}

export function useRevokeToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: revokeToken,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokensQueryKey }),
  });
}
