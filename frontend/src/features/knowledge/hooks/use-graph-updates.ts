/**
 * Redraws a collection's graph the moment a worker finishes reading one of its documents
 * (`knowledge.document.graph` on the notifications socket), so a graph opened right after an
 * upload fills in without a reload.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useContext, useEffect } from 'react';

import { NotificationsContext } from '../../../lib/notifications';
import { knowledgeQueryKey } from '../api/get-collection-graph';

export function useGraphUpdates(collectionId: number): void {
  // Optional: without the socket (tests, a page outside the app shell) a reload still works.
  const socket = useContext(NotificationsContext);
  const queryClient = useQueryClient();
  useEffect(() => {
    if (socket === null) return undefined;
    return socket.subscribe((message) => {
      if (message.type === 'knowledge.document.graph' && message.collection_id === collectionId) {
        void queryClient.invalidateQueries({ queryKey: knowledgeQueryKey });
      }
    });
  }, [socket, queryClient, collectionId]);
}
