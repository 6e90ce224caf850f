/**
 * Refreshes documents the moment a worker reports on one (`rag.document.status` from embedding,
 * `knowledge.document.graph` from reading its entities) on the notifications socket, instead of
 * at the next poll.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useContext, useEffect } from 'react';

import { NotificationsContext } from '../../../lib/notifications';
import { collectionsQueryKey } from '../../../lib/api/get-collections';

export function useDocumentUpdates(): void {
  // Optional: without the socket (tests, a page outside the app shell) polling still works.
  const socket = useContext(NotificationsContext);
  const queryClient = useQueryClient();
  useEffect(() => {
    if (socket === null) return undefined;
    return socket.subscribe((message) => {
      if (message.type === 'rag.document.status' || message.type === 'knowledge.document.graph') {
        void queryClient.invalidateQueries({ queryKey: collectionsQueryKey });
      }
    });
  }, [socket, queryClient]);
}
