/**
 * Versions across every model, for pickers and the dashboard. The API lists versions per model,
 * so this reads the model list and then each model's versions (a user has a handful of models).
 */
import { useQueries, useQuery } from '@tanstack/react-query';

import { modelsQueryOptions } from './get-models';
import { type ModelVersion, modelVersionsQueryOptions } from './get-model-versions';

export interface VersionsAcrossModels {
  versions: ModelVersion[];
  isPending: boolean;
  error: Error | null;
  refetch: () => void;
}

function newestFirst(a: ModelVersion, b: ModelVersion): number {
  return b.created_at.localeCompare(a.created_at);
}

/** `perModel` versions of each of the `models` most recently changed models, newest first. */
export function useVersionsAcrossModels({
  models = 100,
  perModel = 100,
}: { models?: number; perModel?: number } = {}): VersionsAcrossModels {
  const list = useQuery(modelsQueryOptions(models));
  const ids = list.data?.results.map((model) => model.id) ?? [];
  const pages = useQueries({
    queries: ids.map((id) => modelVersionsQueryOptions(id, perModel)),
  });
  const versions = pages.flatMap((page) => page.data?.results ?? []).sort(newestFirst);
  return {
    versions,
    isPending: list.isPending || pages.some((page) => page.isPending),
    error: list.error ?? pages.find((page) => page.error)?.error ?? null,
    refetch: () => {
      void list.refetch();
      for (const page of pages) void page.refetch();
    },
  };
}

/** Versions a conversation can use: imported and ready, newest first. */
export function useReadyModelVersions(): VersionsAcrossModels {
  const result = useVersionsAcrossModels();
  return { ...result, versions: result.versions.filter((version) => version.status === 'ready') };
}
