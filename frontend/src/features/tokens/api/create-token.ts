/** `POST /api/v1/tokens/`: creates a token; the answer carries the secret, shown only once. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { tokensQueryKey } from './get-tokens';

export type CreateTokenInput = ApiRequestBody<'/api/v1/tokens/', 'post'>;
export type CreatedToken = ApiResponse<'/api/v1/tokens/', 'post', 201>;

export function createToken(input: CreateTokenInput): Promise<CreatedToken> {
  return api.post<CreatedToken>('/api/v1/tokens/', input);
}

export function useCreateToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createToken,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokensQueryKey }),
  });
}
