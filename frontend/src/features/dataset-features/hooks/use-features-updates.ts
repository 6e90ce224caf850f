/**
 * Reads a version's features again the moment a group finishes computing
 * (`features.materialized` on the notifications socket), instead of at the next poll.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useContext, useEffect } from 'react';

import { NotificationsContext } from '../../../lib/notifications';
import { versionFeaturesQueryKey } from '../api/get-version-features';

export function useFeaturesUpdates(versionId: number): void {
  // Optional: without the socket (tests, a page outside the app shell) polling still works.
  const socket = useContext(NotificationsContext);
  const queryClient = useQueryClient();
  useEffect(() => {
    if (socket === null) return undefined;
    return socket.subscribe((message) => {
      if (message.type === 'features.materialized' && message.dataset_version === versionId) {
        void queryClient.invalidateQueries({ queryKey: versionFeaturesQueryKey(versionId) });
      }
    });
  }, [socket, queryClient, versionId]);
}
