/** `GET /api/v1/runs/{id}/artifacts/`: the files a run produced (checkpoints), with downloads. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';
import { runQueryKey } from './get-run';

export type ArtifactPage = ApiResponse<'/api/v1/runs/{run_id}/artifacts/', 'get', 200>;
export type Artifact = ArtifactPage['results'][number];

export function artifactsQueryKey(runId: number) {
  return [...runQueryKey(runId), 'artifacts'] as const;
}

export function getArtifacts(runId: number, signal?: AbortSignal): Promise<ArtifactPage> {
  return api.get<ArtifactPage>(`/api/v1/runs/${runId}/artifacts/`, {
    query: { page_size: 200 },
    signal,
  });
}

export function useArtifacts(runId: number) {
  return useQuery({
    queryKey: artifactsQueryKey(runId),
    queryFn: ({ signal }) => getArtifacts(runId, signal),
  });
}

/** A plain link, so the browser streams the file to disk. */
export function artifactDownloadUrl(artifact: Artifact): string {
  return `/api/v1/runs/${artifact.run}/artifacts/${artifact.id}/download/`;
}
