/**
 * `GET /api/v1/models/{id}/versions/`: a model's versions, newest first, each with its exports.
 * While a version is importing or an export is queued or running the list polls, so it settles
 * without a reload even when the notifications socket is down.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';
import { modelsQueryKey } from './get-models';

type RawVersionPage = ApiResponse<'/api/v1/models/{model_id}/versions/', 'get', 200>;
type RawVersion = RawVersionPage['results'][number];
type RawExport = RawVersion['exports'][number];

/** One quantized file of a version. The schema leaves defaulted fields optional; they are sent. */
export type ModelExport = RawExport & Required<Pick<RawExport, 'status' | 'error' | 'size_bytes'>>;
export type ModelVersion = Omit<RawVersion, 'exports'> &
  Required<Pick<RawVersion, 'stage' | 'status' | 'error' | 'parameters' | 'size_bytes'>> & {
    exports: ModelExport[];
  };
export type ModelVersionPage = Omit<RawVersionPage, 'results'> & { results: ModelVersion[] };
export type ModelStage = ModelVersion['stage'];
export type ModelVersionStatus = ModelVersion['status'];
export type ModelExportStatus = ModelExport['status'];

export const POLL_WHILE_BUSY_MS = 3_000;

/** True while the worker still has something to say about the version. */
export function isBusy(version: ModelVersion): boolean {
  return (
    version.status === 'importing' ||
    version.exports.some((item) => item.status === 'queued' || item.status === 'running')
  );
}

export function modelVersionsQueryKey(modelId: number) {
  return [...modelsQueryKey, modelId, 'versions'] as const;
}

export function getModelVersions(
  modelId: number,
  pageSize: number,
  signal?: AbortSignal,
): Promise<ModelVersionPage> {
  return api.get<ModelVersionPage>(`/api/v1/models/${modelId}/versions/`, {
    query: { page_size: pageSize },
    signal,
  });
}

export function modelVersionsQueryOptions(modelId: number, pageSize = 100) {
  return queryOptions({
    queryKey: [...modelVersionsQueryKey(modelId), pageSize],
    queryFn: ({ signal }) => getModelVersions(modelId, pageSize, signal),
    refetchInterval: (query) =>
      query.state.data?.results.some(isBusy) ? POLL_WHILE_BUSY_MS : false,
  });
}

export function useModelVersions(modelId: number | null) {
  return useQuery({ ...modelVersionsQueryOptions(modelId ?? 0), enabled: modelId !== null });
}
