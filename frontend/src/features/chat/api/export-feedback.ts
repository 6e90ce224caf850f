/**
 * `POST /api/v1/chat/feedback/export/`: saved as a new dataset version, either every liked or
 * corrected reply with the question it answered ("pairs", to fine-tune on) or preference pairs
 * ("preferences", for DPO: a disliked reply against the liked one that replaced it, or against
 * your correction).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { datasetsQueryKey } from '../../../lib/api/get-datasets';

export type FeedbackExport = ApiResponse<'/api/v1/chat/feedback/export/', 'post', 201>;
export type FeedbackExportKind = 'pairs' | 'preferences';

export function exportFeedback(kind: FeedbackExportKind = 'pairs'): Promise<FeedbackExport> {
  return api.post<FeedbackExport>('/api/v1/chat/feedback/export/', { kind });
}

export function useExportFeedback() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: exportFeedback,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: datasetsQueryKey }),
  });
}
