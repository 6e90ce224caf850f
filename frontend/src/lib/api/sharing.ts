/**
 * `/api/v1/sharing/{kind}/{id}/`: who can see one object (its owner or owning team and the
 * teams it is shared with), sharing it with a team, taking a share back, and moving it into
 * a team's ownership or back to the caller.
 */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../api-client';

export type ShareKind =
  'dataset' | 'experiment' | 'model' | 'collection' | 'personality' | 'conversation' | 'recipe';
export type Visibility = ApiResponse<'/api/v1/sharing/{kind}/{object_id}/', 'get', 200>;
export type ShareInput = ApiRequestBody<'/api/v1/sharing/{kind}/{object_id}/shares/', 'post'>;
export type MoveInput = ApiRequestBody<'/api/v1/sharing/{kind}/{object_id}/move/', 'post'>;

/** Access roles that may change who sees an object (apps.core.access: share). */
const SHARERS = new Set(['owner', 'team_owner', 'team_admin']);

export function canShare(accessRole: string): boolean {
  return SHARERS.has(accessRole);
}

function path(kind: ShareKind, id: number): string {
  return `/api/v1/sharing/${kind}/${id}/`;
}

function visibilityKey(kind: ShareKind, id: number) {
  return ['sharing', kind, id] as const;
}

export function visibilityQueryOptions(kind: ShareKind, id: number) {
  return queryOptions({
    queryKey: visibilityKey(kind, id),
    queryFn: ({ signal }) => api.get<Visibility>(path(kind, id), { signal }),
  });
}

export function useVisibility(kind: ShareKind, id: number, enabled = true) {
  return useQuery({ ...visibilityQueryOptions(kind, id), enabled });
}

/** Mutations refresh the dialog's view and every list, whose "yours / shared" marks change. */
function useSharingMutation<TInput>(send: (input: TInput) => Promise<unknown>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: send,
    onSuccess: () => queryClient.invalidateQueries(),
  });
}

export function useShare(kind: ShareKind, id: number) {
  return useSharingMutation((input: ShareInput) =>
    api.post<Visibility>(`${path(kind, id)}shares/`, input),
  );
}

export function useUnshare(kind: ShareKind, id: number) {
  return useSharingMutation((teamId: number) => api.delete(`${path(kind, id)}shares/${teamId}/`));
}

export function useMove(kind: ShareKind, id: number) {
  return useSharingMutation((input: MoveInput) =>
    api.post<Visibility>(`${path(kind, id)}move/`, input),
  );
}
