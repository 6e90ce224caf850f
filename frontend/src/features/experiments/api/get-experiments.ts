/**
 * `GET /api/v1/experiments/`: the experiments the user can see (their own and those shared
 * with them; `scope` keeps one side) with their run counts and access roles.
 */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type ExperimentPage = ApiResponse<'/api/v1/experiments/', 'get', 200>;
export type Experiment = ExperimentPage['results'][number];

export const experimentsQueryKey = ['experiments'] as const;

type Scope = 'mine' | 'shared' | undefined;

export function getExperiments(scope: Scope, signal?: AbortSignal): Promise<ExperimentPage> {
  return api.get<ExperimentPage>('/api/v1/experiments/', {
    query: { page_size: 200, ...(scope ? { scope } : {}) },
    signal,
  });
}

export function experimentsQueryOptions(scope?: Scope) {
  return queryOptions({
    queryKey: [...experimentsQueryKey, 'list', scope ?? 'all'],
    queryFn: ({ signal }) => getExperiments(scope, signal),
    placeholderData: keepPreviousData,
  });
}

export function useExperiments(scope?: Scope) {
  return useQuery(experimentsQueryOptions(scope));
}
