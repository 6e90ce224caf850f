/**
 * `GET /api/v1/personalities/`: the built-ins and the user's own, built-ins first, optionally
 * of one kind. Polls while any of them is still training, so its status changes in the list.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import {
  isTraining,
  type Personality,
  type PersonalityKind,
  personalitiesQueryKey,
  POLL_WHILE_TRAINING_MS,
} from './get-personality';

export interface PersonalityPage {
  count: number;
  results: Personality[];
}

// Every built-in and a generous number of one's own fit in one page.
const PAGE_SIZE = 500;

export function getPersonalities(
  kind: PersonalityKind | null,
  signal?: AbortSignal,
): Promise<PersonalityPage> {
  return api.get<PersonalityPage>('/api/v1/personalities/', {
    query: { page_size: PAGE_SIZE, kind: kind ?? undefined },
    signal,
  });
}

export function personalitiesQueryOptions(kind: PersonalityKind | null = null) {
  return queryOptions({
    queryKey: [...personalitiesQueryKey, 'list', kind ?? 'all'],
    queryFn: ({ signal }) => getPersonalities(kind, signal),
    refetchInterval: (query) =>
      query.state.data?.results.some(isTraining) ? POLL_WHILE_TRAINING_MS : false,
  });
}

export function usePersonalities(kind: PersonalityKind | null = null) {
  return useQuery(personalitiesQueryOptions(kind));
}
