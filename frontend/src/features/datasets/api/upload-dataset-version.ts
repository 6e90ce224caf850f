/**
 * `POST /api/v1/datasets/{id}/versions/?filename=...`: uploads a file as a new version. The body
 * is the `File` itself, streamed with progress by `lib/upload`. The server answers 201 with a
 * new version, or 200 with the existing version that already has exactly these bytes.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import type { DatasetVersion } from '../../../lib/api/get-dataset-versions';
import { datasetsQueryKey } from '../../../lib/api/get-datasets';
import { isAbortError, type UploadProgress, xhrUpload } from '../../../lib/upload';
import { storageQueryKey } from './get-storage-usage';

export type { UploadProgress };

/** Where JSON/CSV records keep their text; left out, the server's defaults apply. */
export interface UploadColumns {
  text_column?: string;
  prompt_column?: string;
  response_column?: string;
}

export interface UploadInput {
  datasetId: number;
  file: File;
  columns?: UploadColumns;
  onProgress?: (progress: UploadProgress) => void;
  /** Aborting it cancels the upload; the promise then rejects with an `AbortError`. */
  signal?: AbortSignal;
}

export interface UploadResult {
  version: DatasetVersion;
  /** False when the server already had a version with the same bytes and returned it. */
  created: boolean;
}

export function uploadUrl(datasetId: number, file: File, columns: UploadColumns = {}): string {
  const params = new URLSearchParams({ filename: file.name });
  for (const [key, value] of Object.entries(columns)) {
    if (typeof value === 'string' && value.trim() !== '') params.set(key, value.trim());
  }
  return `/api/v1/datasets/${datasetId}/versions/?${params.toString()}`;
}

export async function uploadDatasetVersion({
  datasetId,
  file,
  columns,
  onProgress,
  signal,
}: UploadInput): Promise<UploadResult> {
  const { status, body } = await xhrUpload<DatasetVersion>({
    url: uploadUrl(datasetId, file, columns),
    body: file,
    contentType: 'application/octet-stream',
    onProgress,
    signal,
  });
  return { version: body, created: status === 201 };
}

export { isAbortError };

export function useUploadDatasetVersion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: uploadDatasetVersion,
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: datasetsQueryKey }),
        queryClient.invalidateQueries({ queryKey: storageQueryKey }),
      ]),
  });
}
