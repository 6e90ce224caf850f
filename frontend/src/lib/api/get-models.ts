/** `GET /api/v1/models/`: the user's registered models, most recently changed first. */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

export type RegisteredModelPage = ApiResponse<'/api/v1/models/', 'get', 200>;
export type RegisteredModel = RegisteredModelPage['results'][number];

export const modelsQueryKey = ['models'] as const;

export function getModels(pageSize: number, signal?: AbortSignal): Promise<RegisteredModelPage> {
  return api.get<RegisteredModelPage>('/api/v1/models/', {
    query: { page_size: pageSize },
    signal,
  });
}

export function modelsQueryOptions(pageSize = 100) {
  return queryOptions({
    queryKey: [...modelsQueryKey, 'list', pageSize],
    queryFn: ({ signal }) => getModels(pageSize, signal),
  });
}

export function useModels(pageSize = 100) {
  return useQuery(modelsQueryOptions(pageSize));
}
