/**
 * `POST /api/v1/model-versions/starter/`: registers the bundled starter chat model as a new
 * version. It answers at once with an importing version; the import finishes in a worker.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { modelsQueryKey } from './get-models';
import type { ModelVersion } from './get-model-versions';

export function addStarterModel(): Promise<ModelVersion> {
  return api.post<ModelVersion>('/api/v1/model-versions/starter/');
}

export function useAddStarterModel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: addStarterModel,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelsQueryKey }),
  });
}
