/** `GET /api/v1/chat/quota/`: today's token allowance, what is used, and when it resets. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type ChatQuota = ApiResponse<'/api/v1/chat/quota/', 'get', 200>;

export const quotaQueryKey = ['chat', 'quota'] as const;

export function useQuota() {
  return useQuery({
    queryKey: quotaQueryKey,
    queryFn: ({ signal }) => api.get<ChatQuota>('/api/v1/chat/quota/', { signal }),
  });
}
