/** `POST /api/v1/alerts/rules/` (a new rule) and `PATCH /api/v1/alerts/rules/{id}/` (a change). */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api, type ApiRequestBody, request } from '../../../lib/api-client';
import { type AlertRule, alertsQueryKey } from './get-alert-rules';

export type AlertRuleInput = ApiRequestBody<'/api/v1/alerts/rules/', 'post'>;

export function saveAlertRule({
  id,
  input,
}: {
  id?: number;
  input: AlertRuleInput;
}): Promise<AlertRule> {
  return id === undefined
    ? api.post<AlertRule>('/api/v1/alerts/rules/', input)
    : request<AlertRule>(`/api/v1/alerts/rules/${id}/`, { method: 'PATCH', body: input });
}

export function useSaveAlertRule() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: saveAlertRule,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: alertsQueryKey }),
  });
}
