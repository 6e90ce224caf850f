/**
 * `POST /api/v1/personality-applications/`: apply a personality to a model version by
 * steering, persona LoRA or system prompt. A 400 names the field it is about
 * (`options.<name>`, `method`, `model_version_id`).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody } from '../../../lib/api-client';
import {
  type PersonalityApplication,
  versionApplicationsQueryKey,
} from './get-personality-applications';

export type ApplicationInput = ApiRequestBody<'/api/v1/personality-applications/', 'post'>;

export function useCreatePersonalityApplication(versionId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ApplicationInput) =>
      api.post<PersonalityApplication>('/api/v1/personality-applications/', input),
    onSuccess: () =>
      queryClient.invalidateQueries({ queryKey: versionApplicationsQueryKey(versionId) }),
  });
}
