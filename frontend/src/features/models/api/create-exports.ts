/**
 * `POST /api/v1/model-versions/{id}/exports/`: quantizes a ready version into the chosen types.
 * Each export is queued; its report (size, perplexity, speed) arrives when the worker is done.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import type { ModelExport } from '../../../lib/api/get-model-versions';
import { modelsQueryKey } from '../../../lib/api/get-models';

/** What the server can quantize to, from most to least precise. */
export const EXPORT_TYPES = ['F16', 'BF16', 'Q8_0', 'Q4_1', 'Q4_0'] as const;

export function createExports(versionId: number, qtypes: string[]): Promise<ModelExport[]> {
  return api.post<ModelExport[]>(`/api/v1/model-versions/${versionId}/exports/`, { qtypes });
}

export function useCreateExports(versionId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (qtypes: string[]) => createExports(versionId, qtypes),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelsQueryKey }),
  });
}

export function versionDownloadUrl(versionId: number): string {
  return `/api/v1/model-versions/${versionId}/download/`;
}

/** The LoRA adapter a fine-tuned version was merged from (safetensors). */
export function adapterDownloadUrl(versionId: number): string {
  return `/api/v1/model-versions/${versionId}/adapter/`;
}

export function exportDownloadUrl(exportId: number): string {
  return `/api/v1/model-exports/${exportId}/download/`;
}
