/** `DELETE /api/v1/endpoints/{id}/`: forgets an endpoint and its key. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { endpointsQueryKey } from '../../../lib/api/get-endpoints';

export function deleteEndpoint(endpointId: number): Promise<undefined> {
  return api.delete(`/api/v1/endpoints/${endpointId}/`);
}

export function useDeleteEndpoint() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteEndpoint,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: endpointsQueryKey }),
  });
}
