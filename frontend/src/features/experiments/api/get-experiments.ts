/** `GET /api/v1/experiments/`: the user's experiments with their run counts. */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type ExperimentPage = ApiResponse<'/api/v1/experiments/', 'get', 200>;
export type Experiment = ExperimentPage['results'][number];

export const experimentsQueryKey = ['experiments'] as const;

export function getExperiments(signal?: AbortSignal): Promise<ExperimentPage> {
  return api.get<ExperimentPage>('/api/v1/experiments/', { query: { page_size: 200 }, signal });
}

export function experimentsQueryOptions() {
  return queryOptions({
    queryKey: [...experimentsQueryKey, 'list'],
    queryFn: ({ signal }) => getExperiments(signal),
    placeholderData: keepPreviousData,
  });
}

export function useExperiments() {
  return useQuery(experimentsQueryOptions());
}
