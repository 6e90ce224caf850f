/**
 * `GET /api/v1/personalities/`: the built-ins, the user's own and those shared with them,
 * built-ins first, optionally of one kind (`scope`: mine keeps your own, shared the rest).
 * Polls while any of them is still training, so its status changes in the list.
 */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

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

type Scope = 'mine' | 'shared' | undefined;

export function getPersonalities(
  kind: PersonalityKind | null,
  scope: Scope,
  signal?: AbortSignal,
): Promise<PersonalityPage> {
  return api.get<PersonalityPage>('/api/v1/personalities/', {
    query: { page_size: PAGE_SIZE, kind: kind ?? undefined, scope },
    signal,
  });
}

export function personalitiesQueryOptions(kind: PersonalityKind | null = null, scope?: Scope) {
  return queryOptions({
    queryKey: [...personalitiesQueryKey, 'list', kind ?? 'all', scope ?? 'all'],
    queryFn: ({ signal }) => getPersonalities(kind, scope, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (query) =>
      query.state.data?.results.some(isTraining) ? POLL_WHILE_TRAINING_MS : false,
  });
}

export function usePersonalities(kind: PersonalityKind | null = null, scope?: Scope) {
  return useQuery(personalitiesQueryOptions(kind, scope));
}
