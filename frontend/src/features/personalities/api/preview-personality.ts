/**
 * `POST /api/v1/personalities/preview/`: what unsaved config values would make (the system
 * prompt, sampling defaults and metric targets). A read, so it is a query keyed by the
 * values; the previous answer stays on screen while the next one loads.
 */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { personalitiesQueryKey } from './get-personality';

export type PreviewInput = ApiRequestBody<'/api/v1/personalities/preview/', 'post'>;
export type PersonalityPreview = ApiResponse<'/api/v1/personalities/preview/', 'post', 200>;

export function previewPersonality(input: PreviewInput): Promise<PersonalityPreview> {
  return api.post<PersonalityPreview>('/api/v1/personalities/preview/', input);
}

export function personalityPreviewQueryOptions(input: PreviewInput) {
  return queryOptions({
    queryKey: [...personalitiesQueryKey, 'preview', input],
    queryFn: () => previewPersonality(input),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
  });
}

export function usePersonalityPreview(input: PreviewInput) {
  return useQuery(personalityPreviewQueryOptions(input));
}
