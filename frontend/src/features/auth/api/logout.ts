/**
 * `POST /accounts/logout/` (allauth's page, not the REST API): ends the session, then leaves
 * the app for the login page with a full page load so no signed-in state survives.
 */
import { useMutation } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import { LOGIN_URL } from '../../../lib/react-query';

export function logout(): Promise<undefined> {
  return api.post<undefined>('/accounts/logout/');
}

export function useLogout() {
  return useMutation({
    mutationFn: logout,
    onSuccess: () => window.location.assign(LOGIN_URL),
  });
}
