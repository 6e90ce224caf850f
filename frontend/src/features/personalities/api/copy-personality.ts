/**
 * `POST /api/v1/personalities/{id}/copy/`: a personality of one's own whose first version is
 * a copy of the source's current one (how a built-in becomes editable).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { type Personality, personalitiesQueryKey } from './get-personality';

export function copyPersonality(personalityId: number): Promise<Personality> {
  return api.post<Personality>(`/api/v1/personalities/${personalityId}/copy/`, {});
}

export function useCopyPersonality() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: copyPersonality,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: personalitiesQueryKey }),
  });
}
