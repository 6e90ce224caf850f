/**
 * `POST /api/v1/rag/collections/{id}/documents/` (multipart, field `file`): uploads one
 * document with progress. It is then extracted, chunked and embedded by a worker.
 */
import { type UploadProgress, xhrUpload } from '../../../lib/upload';
import type { RagDocument } from './get-documents';

export interface UploadDocumentInput {
  collectionId: number;
  file: File;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export async function uploadDocument({
  collectionId,
  file,
  onProgress,
  signal,
}: UploadDocumentInput): Promise<RagDocument> {
  const body = new FormData();
  body.append('file', file, file.name);
  const { body: document } = await xhrUpload<RagDocument>({
    url: `/api/v1/rag/collections/${collectionId}/documents/`,
    body,
    expectedBytes: file.size,
    onProgress,
    signal,
  });
  return document;
}
