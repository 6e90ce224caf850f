/**
 * `GET /api/v1/personalities/` for the pickers of other pages (chat's personality, a model's
 * apply dialog and personality gate): the built-ins and the user's own in one page. Its key
 * sits under `['personalities']`, so the Personalities page's changes (a new or deleted
 * personality) refresh the pickers too.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

type Page = ApiResponse<'/api/v1/personalities/', 'get', 200>;
export type PersonalityChoice = Page['results'][number];

// Every built-in and a generous number of one's own fit in one page.
const PAGE_SIZE = 500;

export const personalityChoicesQueryKey = ['personalities', 'chat-choices'] as const;

export function usePersonalityChoices() {
  return useQuery({
    queryKey: personalityChoicesQueryKey,
    queryFn: ({ signal }) =>
      api.get<Page>('/api/v1/personalities/', { query: { page_size: PAGE_SIZE }, signal }),
    select: (page) => page.results,
  });
}
