/**
 * `POST /api/v1/model-versions/starter/`: registers the bundled starter chat model as a new
 * version. It answers at once with an importing version; the import finishes in a worker.
 * While the user's starter model is importing or ready, the answer is that version with
 * `created: false` (the server starts no second import).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { modelsQueryKey } from '../../../lib/api/get-models';

export type StarterModelVersion = ApiResponse<'/api/v1/model-versions/starter/', 'post', 201>;

export function addStarterModel(): Promise<StarterModelVersion> {
  return api.post<StarterModelVersion>('/api/v1/model-versions/starter/');
}

export function useAddStarterModel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: addStarterModel,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelsQueryKey }),
  });
}
