/**
 * `GET /api/v1/models/`: the registered models the user can see (their own and those shared
 * with them; `scope` keeps one side), most recently changed first, with their access roles.
 */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

export type RegisteredModelPage = ApiResponse<'/api/v1/models/', 'get', 200>;
export type RegisteredModel = RegisteredModelPage['results'][number];

export const modelsQueryKey = ['models'] as const;

type Scope = 'mine' | 'shared' | undefined;

export function getModels(
  pageSize: number,
  scope: Scope,
  signal?: AbortSignal,
): Promise<RegisteredModelPage> {
  return api.get<RegisteredModelPage>('/api/v1/models/', {
    query: { page_size: pageSize, ...(scope ? { scope } : {}) },
    signal,
  });
}

export function modelsQueryOptions(pageSize = 100, scope?: Scope) {
  return queryOptions({
    queryKey: [...modelsQueryKey, 'list', pageSize, scope ?? 'all'],
    queryFn: ({ signal }) => getModels(pageSize, scope, signal),
    placeholderData: keepPreviousData,
  });
}

export function useModels(pageSize = 100, scope?: Scope) {
  return useQuery(modelsQueryOptions(pageSize, scope));
}
