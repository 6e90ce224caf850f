/** `POST /api/v1/endpoints/`: registers an endpoint once the server fetched its models. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { endpointsQueryKey } from '../../../lib/api/get-endpoints';

export type CreateEndpointInput = ApiRequestBody<'/api/v1/endpoints/', 'post'>;
export type CreatedEndpoint = ApiResponse<'/api/v1/endpoints/', 'post', 201>;

export function createEndpoint(input: CreateEndpointInput): Promise<CreatedEndpoint> {
  return api.post<CreatedEndpoint>('/api/v1/endpoints/', input);
}

export function useCreateEndpoint() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createEndpoint,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointsQueryKey }),
  });
}
