/**
 * Uploads with progress: one POST through XMLHttpRequest, because fetch cannot report how much
 * of a request body has been sent. The body is a `File` (streamed from disk by the browser, so
 * gigabytes never sit in page memory) or `FormData` for multipart endpoints. Failures become
 * the same `ApiError` the JSON client raises; a cancelled upload rejects with an `AbortError`.
 */
import { ApiError, readCookie } from './api-client';

export interface UploadProgress {
  loaded: number;
  /** Bytes in the whole body; the caller's estimate when the browser does not say. */
  total: number;
}

export interface XhrUploadOptions {
  url: string;
  body: File | Blob | FormData;
  /** Set for raw bodies; multipart bodies must leave it to the browser (it adds the boundary). */
  contentType?: string;
  /** Used as `total` when the browser cannot compute the length. */
  expectedBytes?: number;
  onProgress?: (progress: UploadProgress) => void;
  /** Aborting it cancels the upload; the promise then rejects with an `AbortError`. */
  signal?: AbortSignal;
}

export interface XhrUploadResult<T> {
  status: number;
  body: T;
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

function cancelled(): DOMException {
  return new DOMException('The upload was cancelled.', 'AbortError');
}

/** Resolves with the parsed JSON of any 2xx answer; rejects with an `ApiError` otherwise. */
export function xhrUpload<T>({
  url,
  body,
  contentType,
  expectedBytes,
  onProgress,
  signal,
}: XhrUploadOptions): Promise<XhrUploadResult<T>> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    if (contentType) xhr.setRequestHeader('Content-Type', contentType);
    xhr.setRequestHeader('Accept', 'application/json');
    const csrfToken = readCookie('csrftoken');
    if (csrfToken) xhr.setRequestHeader('X-CSRFToken', csrfToken);

    const abort = () => xhr.abort();
    signal?.addEventListener('abort', abort, { once: true });
    const settle = () => signal?.removeEventListener('abort', abort);
    const fallbackTotal = expectedBytes ?? (body instanceof Blob ? body.size : 0);

    xhr.upload.onprogress = (event: ProgressEvent) => {
      onProgress?.({
        loaded: event.loaded,
        total: event.lengthComputable ? event.total : fallbackTotal,
      });
    };
    xhr.onload = () => {
      settle();
      if (xhr.status >= 200 && xhr.status < 300) {
        const parsed = parseJson(xhr.responseText);
        if (parsed === null) {
          reject(
            new ApiError({
              status: xhr.status,
              code: 'bad_response',
              message: 'The server sent an unreadable answer.',
            }),
          );
          return;
        }
        resolve({ status: xhr.status, body: parsed as T });
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
      reject(cancelled());
    };
    xhr.send(body);
  });
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** Whole percent of an upload done, for progress bars. */
export function uploadPercent(progress: UploadProgress): number {
  if (progress.total <= 0) return 0;
  return Math.min(100, Math.floor((progress.loaded / progress.total) * 100));
}
