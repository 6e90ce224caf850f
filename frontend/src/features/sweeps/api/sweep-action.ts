/** `POST /api/v1/sweeps/{id}/pause|resume|cancel/`. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { type Sweep, sweepsQueryKey } from './get-sweeps';

export type SweepAction = 'pause' | 'resume' | 'cancel';

export function useSweepAction(sweepId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (action: SweepAction) => api.post<Sweep>(`/api/v1/sweeps/${sweepId}/${action}/`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sweepsQueryKey }),
  });
}
