/**
 * Refreshes dataset versions the moment the validation worker reports on one
 * (`dataset_version.validated` on the notifications socket), instead of at the next poll.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useContext, useEffect } from 'react';

import { datasetsQueryKey } from '../../../lib/api/get-datasets';
import { NotificationsContext } from '../../../lib/notifications';

export function useValidationUpdates(): void {
  // Optional: without the socket (tests, a page outside the app shell) polling still works.
  const socket = useContext(NotificationsContext);
  const queryClient = useQueryClient();
  useEffect(() => {
    if (socket === null) return undefined;
    return socket.subscribe((message) => {
      if (message.type === 'dataset_version.validated') {
        void queryClient.invalidateQueries({ queryKey: datasetsQueryKey });
      }
    });
  }, [socket, queryClient]);
}
