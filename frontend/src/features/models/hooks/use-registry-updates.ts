/**
 * Refreshes models the moment a worker reports on them (`model_version.imported` and
 * `model_export.finished` on the notifications socket), instead of at the next poll.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useContext, useEffect } from 'react';

import { modelsQueryKey } from '../../../lib/api/get-models';
import { NotificationsContext } from '../../../lib/notifications';

const EVENTS: ReadonlySet<string> = new Set(['model_version.imported', 'model_export.finished']);

export function useRegistryUpdates(): void {
  // Optional: without the socket (tests, a page outside the app shell) polling still works.
  const socket = useContext(NotificationsContext);
  const queryClient = useQueryClient();
  useEffect(() => {
    if (socket === null) return undefined;
    return socket.subscribe((message) => {
      if (EVENTS.has(message.type)) {
        void queryClient.invalidateQueries({ queryKey: modelsQueryKey });
      }
    });
  }, [socket, queryClient]);
}
