/** `GET /api/v1/personalities/{id}/versions/`: every version of a personality, newest first. */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { type PersonalityVersion, personalityQueryKey } from './get-personality';

export interface PersonalityVersionPage {
  count: number;
  results: PersonalityVersion[];
}

export function getPersonalityVersions(
  personalityId: number,
  signal?: AbortSignal,
): Promise<PersonalityVersionPage> {
  return api.get<PersonalityVersionPage>(`/api/v1/personalities/${personalityId}/versions/`, {
    query: { page_size: 100 },
    signal,
  });
}

export function personalityVersionsQueryOptions(personalityId: number) {
  return queryOptions({
    queryKey: [...personalityQueryKey(personalityId), 'versions'],
    queryFn: ({ signal }) => getPersonalityVersions(personalityId, signal),
  });
}

export function usePersonalityVersions(personalityId: number) {
  return useQuery(personalityVersionsQueryOptions(personalityId));
}
