/**
 * `GET`, `PUT` and `DELETE /api/v1/me/hub-token/`: the user's access token for gated hub repos.
 * The server stores it sealed and only ever answers with its hint.
 */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { api, type ApiResponse, request } from '../../../lib/api-client';

export type HubTokenState = ApiResponse<'/api/v1/me/hub-token/', 'get', 200>;

const PATH = '/api/v1/me/hub-token/';
export const hubTokenQueryKey = ['hub-token'] as const;

export const hubTokenQuery = queryOptions({
  queryKey: hubTokenQueryKey,
  queryFn: () => api.get<HubTokenState>(PATH),
});

export function useHubToken() {
  return useQuery(hubTokenQuery);
}

export function useSetHubToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => request<HubTokenState>(PATH, { method: 'PUT', body: { token } }),
    onSuccess: (state) => queryClient.setQueryData(hubTokenQueryKey, state),
  });
}

export function useDeleteHubToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.delete(PATH),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: hubTokenQueryKey }),
  });
}
