/** `POST /api/v1/endpoints/{id}/refresh/`: asks the endpoint for its models again; a failure
 * comes back as the endpoint's `last_error`, with the models it listed before. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { endpointsQueryKey, type RemoteEndpoint } from '../../../lib/api/get-endpoints';

export function refreshEndpoint(endpointId: number): Promise<RemoteEndpoint> {
  return api.post<RemoteEndpoint>(`/api/v1/endpoints/${endpointId}/refresh/`);
}

export function useRefreshEndpoint() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: refreshEndpoint,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointsQueryKey }),
  });
}
