/** `POST /api/v1/alerts/rules/{id}/rotate-secret/`: a new webhook secret for a rule, shown once;
 * the old one stops signing at once. */
import { useMutation } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type RotatedSecret = ApiResponse<
  '/api/v1/alerts/rules/{rule_id}/rotate-secret/',
  'post',
  200
>;

export function rotateAlertSecret(ruleId: number): Promise<RotatedSecret> {
  return api.post<RotatedSecret>(`/api/v1/alerts/rules/${ruleId}/rotate-secret/`);
}

export function useRotateAlertSecret() {
  return useMutation({ mutationFn: rotateAlertSecret });
}
