/** `GET /api/v1/storage/`: bytes the user's files take and the quota they may fill. */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type StorageUsage = ApiResponse<'/api/v1/storage/', 'get', 200>;

export const storageQueryKey = ['storage'] as const;

export function getStorageUsage(signal?: AbortSignal): Promise<StorageUsage> {
  return api.get<StorageUsage>('/api/v1/storage/', { signal });
}

export function useStorageUsage() {
  return useQuery({ queryKey: storageQueryKey, queryFn: ({ signal }) => getStorageUsage(signal) });
}
