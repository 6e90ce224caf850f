/** `POST /api/v1/rag/search/`: the chunks retrieval would give a model for a query, scored. */
import { useMutation } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';

export type SearchInput = ApiRequestBody<'/api/v1/rag/search/', 'post'>;
export type SearchResponse = ApiResponse<'/api/v1/rag/search/', 'post', 200>;
export type SearchMode = 'hybrid' | 'vector' | 'text';

export function useSearch() {
  return useMutation({
    mutationFn: (input: SearchInput) => api.post<SearchResponse>('/api/v1/rag/search/', input),
  });
}
