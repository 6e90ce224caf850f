/**
 * `PATCH /api/v1/personalities/{id}/`: renames in place; any behaviour field (traits,
 * examples, background, epochs) makes a new version, the old ones staying as they were.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { type ApiRequestBody, request } from '../../../lib/api-client';
import { type Personality, personalitiesQueryKey } from './get-personality';

export type UpdatePersonalityInput = NonNullable<
  ApiRequestBody<'/api/v1/personalities/{personality_id}/', 'patch'>
>;

export function updatePersonality({
  personalityId,
  ...changes
}: UpdatePersonalityInput & { personalityId: number }): Promise<Personality> {
  return request<Personality>(`/api/v1/personalities/${personalityId}/`, {
    method: 'PATCH',
    body: changes,
  });
}

export function useUpdatePersonality() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updatePersonality,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: personalitiesQueryKey }),
  });
}
