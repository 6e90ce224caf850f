/** `POST /api/v1/datasets/`: creates an empty dataset that versions are uploaded into. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';
import { datasetsQueryKey } from '../../../lib/api/get-datasets';

export type CreateDatasetInput = ApiRequestBody<'/api/v1/datasets/', 'post'>;
export type CreatedDataset = ApiResponse<'/api/v1/datasets/', 'post', 201>;

export function createDataset(input: CreateDatasetInput): Promise<CreatedDataset> {
  return api.post<CreatedDataset>('/api/v1/datasets/', input);
}

export function useCreateDataset() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createDataset,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: datasetsQueryKey }),
  });
}
