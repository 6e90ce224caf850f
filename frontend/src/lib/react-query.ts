/**
 * The TanStack Query client the app shares: retry rules that fit our API errors, and one
 * place that sends a user whose session ended back to the login page.
 */
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';

import { ApiError } from './api-client';

export const LOGIN_URL = '/accounts/login/';

function isSessionEnded(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'not_authenticated';
}

function sendToLogin(): void {
  const next = window.location.pathname + window.location.search;
  window.location.assign(`${LOGIN_URL}?next=${encodeURIComponent(next)}`);
}

export function createQueryClient(): QueryClient {
  const onError = (error: unknown) => {
    if (isSessionEnded(error)) sendToLogin();
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        // A 4xx will answer the same way again; only network trouble and 5xx are worth retrying.
        retry: (failureCount, error) =>
          failureCount < 2 &&
          !(error instanceof ApiError && error.status >= 400 && error.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
}
