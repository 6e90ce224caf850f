/**
 * `POST /api/v1/personalities/`: creates a config, learned or neural personality. A learned
 * one is fitted during the request (seconds); a neural one answers at once with its version
 * `training`.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody } from '../../../lib/api-client';
import { type Personality, personalitiesQueryKey } from './get-personality';

export type CreatePersonalityInput = ApiRequestBody<'/api/v1/personalities/', 'post'>;

export function createPersonality(input: CreatePersonalityInput): Promise<Personality> {
  return api.post<Personality>('/api/v1/personalities/', input);
}

export function useCreatePersonality() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createPersonality,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: personalitiesQueryKey }),
  });
}
