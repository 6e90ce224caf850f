/** `POST /api/v1/alerts/rules/` (a new rule) and `PATCH /api/v1/alerts/rules/{id}/` (a change). */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse, request } from '../../../lib/api-client';
import { alertsQueryKey } from './get-alert-rules';

export type AlertRuleInput = ApiRequestBody<'/api/v1/alerts/rules/', 'post'>;
/** The rule as saved, with `webhook_secret` when this save gave it one (shown once), else null. */
export type SavedAlertRule = ApiResponse<'/api/v1/alerts/rules/', 'post', 201>;

export function saveAlertRule({
  id,
  input,
}: {
  id?: number;
  input: AlertRuleInput;
}): Promise<SavedAlertRule> {
  return id === undefined
    ? api.post<SavedAlertRule>('/api/v1/alerts/rules/', input)
    : request<SavedAlertRule>(`/api/v1/alerts/rules/${id}/`, { method: 'PATCH', body: input });
}

export function useSaveAlertRule() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: saveAlertRule,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: alertsQueryKey }),
  });
}
