/**
 * `POST /api/v1/model-versions/upload/?name=&filename=&bump=`: a `.gguf`, a `.sou` or a zip of
 * a Hugging Face model directory as a new version of the named model (created when new). The
 * body is the file itself, streamed with progress; the import then runs in a worker.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { modelsQueryKey } from '../../../lib/api/get-models';
import { type UploadProgress, xhrUpload } from '../../../lib/upload';

export type VersionBump = 'major' | 'minor' | 'patch';

export interface UploadModelInput {
  name: string;
  file: File;
  bump: VersionBump;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export function uploadModelUrl(name: string, file: File, bump: VersionBump): string {
  const params = new URLSearchParams({ name: name.trim(), filename: file.name, bump });
  return `/api/v1/model-versions/upload/?${params.toString()}`;
}

export async function uploadModelVersion({
  name,
  file,
  bump,
  onProgress,
  signal,
}: UploadModelInput): Promise<ModelVersion> {
  const { body } = await xhrUpload<ModelVersion>({
    url: uploadModelUrl(name, file, bump),
    body: file,
    contentType: 'application/octet-stream',
    onProgress,
    signal,
  });
  return body;
}

export function useUploadModelVersion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: uploadModelVersion,
    onSettled: () => queryClient.invalidateQueries({ queryKey: modelsQueryKey }),
  });
}
