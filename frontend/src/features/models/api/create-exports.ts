/**
 * `POST /api/v1/model-versions/{id}/exports/`: quantizes a ready version into the chosen types,
 * as `.sou` files (what chat runs) or GGUF files (llama.cpp, Ollama). Each export is queued;
 * its report (size, perplexity, speed) arrives when the worker is done.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import type { ModelExport } from '../../../lib/api/get-model-versions';
import { modelsQueryKey } from '../../../lib/api/get-models';

/** What the server can quantize to, from most to least precise, in the dialog's groups. */
export const EXPORT_TYPE_GROUPS = {
  Float: ['F16', 'BF16'],
  'K-quants (llama.cpp)': ['Q6_K', 'Q5_K_M', 'Q5_K', 'Q4_K_M', 'Q4_K', 'Q3_K_M', 'Q3_K', 'Q2_K'],
  Blocks: ['Q8_0', 'Q4_1', 'Q4_0'],
} as const;

export type ExportType = (typeof EXPORT_TYPE_GROUPS)[keyof typeof EXPORT_TYPE_GROUPS][number];

export type ExportFormat = ModelExport['format'];

export function createExports(
  versionId: number,
  qtypes: string[],
  format: ExportFormat = 'sou',
): Promise<ModelExport[]> {
  return api.post<ModelExport[]>(`/api/v1/model-versions/${versionId}/exports/`, {
    qtypes,
    format,
  });
}

export function useCreateExports(versionId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ qtypes, format }: { qtypes: string[]; format: ExportFormat }) =>
      createExports(versionId, qtypes, format),
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
