/**
 * `POST /api/v1/chat/feedback/export/`: every liked or corrected reply with the question it
 * answered, saved as a new dataset version to fine-tune on.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { datasetsQueryKey } from '../../../lib/api/get-datasets';

export type FeedbackExport = ApiResponse<'/api/v1/chat/feedback/export/', 'post', 201>;

export function exportFeedback(): Promise<FeedbackExport> {
  return api.post<FeedbackExport>('/api/v1/chat/feedback/export/', {});
}

export function useExportFeedback() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: exportFeedback,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: datasetsQueryKey }),
  });
}
