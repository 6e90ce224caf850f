/**
 * `GET /api/v1/datasets/{id}/versions/`: a dataset's versions, newest first. While any of them
 * is still being validated the list polls, so its status changes without a reload even when
 * the notifications socket is down.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';
import { datasetsQueryKey } from './get-datasets';

type RawVersionPage = ApiResponse<'/api/v1/datasets/{dataset_id}/versions/', 'get', 200>;
type RawVersion = RawVersionPage['results'][number];
/** The schema marks fields with model defaults optional, but the server always sends them. */
export type DatasetVersion = RawVersion & Required<Pick<RawVersion, 'status' | 'stored_bytes'>>;
export type DatasetVersionPage = Omit<RawVersionPage, 'results'> & { results: DatasetVersion[] };
export type DatasetVersionStatus = DatasetVersion['status'];

/** What the validation worker stores on a version (the schema types it as free JSON). */
export interface ValidationReport {
  records: number;
  characters: number;
  estimated_tokens: number;
  preview: string[];
  errors: { file: string; line: number; message: string }[];
  /** Records per kind (text, pair, chat, preference); empty for versions validated before. */
  kinds: Partial<Record<RecordKind, number>>;
}

export type RecordKind = 'text' | 'pair' | 'chat' | 'preference';

const KIND_NAMES: Record<RecordKind, string> = {
  text: 'text',
  pair: 'prompt/response',
  chat: 'chat',
  preference: 'preference',
};

/** "12 prompt/response, 3 chat": what kinds of records a version holds, for pickers and reports. */
export function formatRecordKinds(kinds: ValidationReport['kinds']): string {
  return (Object.keys(KIND_NAMES) as RecordKind[])
    .filter((kind) => (kinds[kind] ?? 0) > 0)
    .map((kind) => `${(kinds[kind] ?? 0).toLocaleString()} ${KIND_NAMES[kind]}`)
    .join(', ');
}

/** The report, or null while validation has not produced one yet. */
export function versionReport(version: DatasetVersion): ValidationReport | null {
  const report = version.report as Partial<ValidationReport> | null | undefined;
  if (!report || typeof report !== 'object' || typeof report.records !== 'number') return null;
  return {
    records: report.records,
    characters: report.characters ?? 0,
    estimated_tokens: report.estimated_tokens ?? 0,
    preview: Array.isArray(report.preview) ? report.preview : [],
    errors: Array.isArray(report.errors) ? report.errors : [],
    kinds: report.kinds && typeof report.kinds === 'object' ? report.kinds : {},
  };
}

export const POLL_WHILE_VALIDATING_MS = 2_000;

export function datasetVersionsQueryKey(datasetId: number) {
  return [...datasetsQueryKey, datasetId, 'versions'] as const;
}

export function getDatasetVersions(
  datasetId: number,
  signal?: AbortSignal,
): Promise<DatasetVersionPage> {
  return api.get<DatasetVersionPage>(`/api/v1/datasets/${datasetId}/versions/`, {
    query: { page_size: 100 },
    signal,
  });
}

export function datasetVersionsQueryOptions(datasetId: number) {
  return queryOptions({
    queryKey: datasetVersionsQueryKey(datasetId),
    queryFn: ({ signal }) => getDatasetVersions(datasetId, signal),
    refetchInterval: (query) =>
      query.state.data?.results.some((version) => version.status === 'validating')
        ? POLL_WHILE_VALIDATING_MS
        : false,
  });
}

export function useDatasetVersions(datasetId: number | null) {
  return useQuery({
    ...datasetVersionsQueryOptions(datasetId ?? 0),
    enabled: datasetId !== null,
  });
}
