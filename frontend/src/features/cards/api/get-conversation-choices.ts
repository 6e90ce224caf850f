/** `GET /api/v1/chat/conversations/?scope=mine`, for the "generate from a conversation" picker. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { cardsQueryKey } from './get-decks';

type ConversationPage = ApiResponse<'/api/v1/chat/conversations/', 'get', 200>;

export function useConversationChoices() {
  return useQuery({
    queryKey: [...cardsQueryKey, 'source-conversations'],
    queryFn: ({ signal }) =>
      api.get<ConversationPage>('/api/v1/chat/conversations/', {
        query: { page_size: 100, scope: 'mine' },
        signal,
      }),
    select: (page) => page.results,
  });
}
