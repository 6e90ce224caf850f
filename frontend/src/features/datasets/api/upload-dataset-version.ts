/**
 * `POST /api/v1/datasets/{id}/versions/?filename=...`: uploads a file as a new version. The body
 * is the `File` itself, which the browser streams from disk, so a file of several gigabytes is
 * never read into page memory. XMLHttpRequest rather than fetch, because only it reports upload
 * progress. The server answers 201 with a new version, or 200 with the existing version that
 * already has exactly these bytes.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { ApiError, readCookie } from '../../../lib/api-client';
import { datasetsQueryKey } from './get-datasets';
import type { DatasetVersion } from './get-dataset-versions';
import { storageQueryKey } from './get-storage-usage';

export interface UploadProgress {
  loaded: number;
  /** Bytes in the whole body; the file's size when the browser does not say. */
  total: number;
}

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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorFrom(xhr: XMLHttpRequest): ApiError {
  const body = parseJson(xhr.responseText) as {
    error?: { code?: unknown; message?: unknown; fields?: Record<string, string[]> };
  } | null;
  const error = body?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new ApiError({
      status: xhr.status,
      code: error.code,
      message: error.message,
      fields: error.fields,
    });
  }
  // A proxy in front of Django refuses oversized bodies with its own HTML page.
  const message =
    xhr.status === 413
      ? 'The file is larger than the server accepts.'
      : `The server answered ${xhr.status} ${xhr.statusText}`.trim() + '.';
  return new ApiError({ status: xhr.status, code: 'http_error', message });
}

export function uploadDatasetVersion({
  datasetId,
  file,
  columns,
  onProgress,
  signal,
}: UploadInput): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', uploadUrl(datasetId, file, columns));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    const csrfToken = readCookie('csrftoken');
    if (csrfToken) xhr.setRequestHeader('X-CSRFToken', csrfToken);

    const abort = () => xhr.abort();
    signal?.addEventListener('abort', abort, { once: true });
    const settle = () => signal?.removeEventListener('abort', abort);

    xhr.upload.onprogress = (event: ProgressEvent) => {
      onProgress?.({
        loaded: event.loaded,
        total: event.lengthComputable ? event.total : file.size,
      });
    };
    xhr.onload = () => {
      settle();
      if (xhr.status === 200 || xhr.status === 201) {
        const version = parseJson(xhr.responseText) as DatasetVersion | null;
        if (version === null) {
          reject(
            new ApiError({
              status: xhr.status,
              code: 'bad_response',
              message: 'The server sent an unreadable answer.',
            }),
          );
          return;
        }
        resolve({ version, created: xhr.status === 201 });
        return;
      }
      reject(errorFrom(xhr));
    };
    xhr.onerror = () => {
      settle();
      reject(
        new ApiError({
          status: 0,
          code: 'network_error',
          message: 'The upload was interrupted. Check your connection and try again.',
        }),
      );
    };
    xhr.onabort = () => {
      settle();
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
    };
    xhr.send(file);
  });
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

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
