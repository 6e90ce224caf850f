/**
 * Reads a sweep again the moment the server reports a change (`sweep.updated` on the
 * notifications socket: a trial started, reported or ended, or the sweep's status moved).
 */
import { useQueryClient } from '@tanstack/react-query';
import { useContext, useEffect } from 'react';

import { NotificationsContext } from '../../../lib/notifications';
import { sweepQueryKey } from '../api/get-sweep';

export function useSweepUpdates(sweepId: number): void {
  // Optional: without the socket (tests, a page outside the app shell) nothing refreshes live.
  const socket = useContext(NotificationsContext);
  const queryClient = useQueryClient();
  useEffect(() => {
    if (socket === null) return undefined;
    return socket.subscribe((message) => {
      if (message.type === 'sweep.updated' && (message as { id?: number }).id === sweepId) {
        void queryClient.invalidateQueries({ queryKey: sweepQueryKey(sweepId) });
      }
    });
  }, [socket, queryClient, sweepId]);
}
