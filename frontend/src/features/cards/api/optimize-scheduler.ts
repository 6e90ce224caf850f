/**
 * `POST /api/v1/review/optimize/`: fit the scheduler's parameters to the user's own review log
 * (a worker does it; the server refuses while there are too few reviews).
 */
import { useMutation } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';

export function useOptimizeScheduler() {
  return useMutation({ mutationFn: () => api.post<unknown>('/api/v1/review/optimize/') });
}
