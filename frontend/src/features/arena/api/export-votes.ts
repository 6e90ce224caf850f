/**
 * `POST /api/v1/arena/export/`: your A and B votes as preference pairs (prompt, chosen,
 * rejected), saved as a new dataset version to train with DPO.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { datasetsQueryKey } from '../../../lib/api/get-datasets';

export type VotesExport = ApiResponse<'/api/v1/arena/export/', 'post', 201>;

export function exportVotes(): Promise<VotesExport> {
  return api.post<VotesExport>('/api/v1/arena/export/', {});
}

export function useExportVotes() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: exportVotes,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: datasetsQueryKey }),
  });
}
