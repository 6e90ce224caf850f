/** `DELETE /api/v1/alerts/rules/{id}/`: deletes a rule with its events. */
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { alertsQueryKey } from './get-alert-rules';

export function deleteAlertRule(ruleId: number): Promise<undefined> {
  return api.delete(`/api/v1/alerts/rules/${ruleId}/`);
}

export function useDeleteAlertRule() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteAlertRule,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: alertsQueryKey }),
  });
}
