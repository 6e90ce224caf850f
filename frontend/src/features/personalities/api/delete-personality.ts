/**
 * `DELETE /api/v1/personalities/{id}/`: removes one's own personality with its versions and
 * files. Refused with 409 while a conversation, a model version or anything else uses it;
 * the message names what does.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { personalitiesQueryKey, personalityQueryKey } from './get-personality';

export function deletePersonality(personalityId: number): Promise<undefined> {
  return api.delete(`/api/v1/personalities/${personalityId}/`);
}

export function useDeletePersonality() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deletePersonality,
    onSuccess: (_, personalityId) => {
      // Dropped, not refetched: its page is being left, and a refetch would only answer 404.
      queryClient.removeQueries({ queryKey: personalityQueryKey(personalityId) });
      return queryClient.invalidateQueries({ queryKey: [...personalitiesQueryKey, 'list'] });
    },
  });
}
