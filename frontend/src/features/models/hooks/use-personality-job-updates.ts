/**
 * Keeps personality applications and evaluations live: a worker's
 * `personality_application.progress` and `personality_evaluation.progress` events on the
 * notifications socket refresh them (and the versions, since an application registers a new
 * one) the moment they move, instead of at the next poll.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useContext, useEffect } from 'react';

import { modelsQueryKey } from '../../../lib/api/get-models';
import { NotificationsContext } from '../../../lib/notifications';

const EVENTS: ReadonlySet<string> = new Set([
  'personality_application.progress',
  'personality_evaluation.progress',
]);
const JOB_LISTS: ReadonlySet<string> = new Set([
  'personality-applications',
  'personality-evaluations',
]);

export function usePersonalityJobUpdates(): void {
  // Optional: without the socket (tests, a page outside the app shell) polling still works.
  const socket = useContext(NotificationsContext);
  const queryClient = useQueryClient();
  useEffect(() => {
    if (socket === null) return undefined;
    return socket.subscribe((message) => {
      if (!EVENTS.has(message.type)) return;
      // A finished job may have registered a version and filled a report: refresh everything
      // of the registry then; while it runs, only the jobs' own lists.
      const finished = message.status === 'ready' || message.status === 'failed';
      void queryClient.invalidateQueries({
        queryKey: modelsQueryKey,
        predicate: finished ? undefined : (query) => JOB_LISTS.has(String(query.queryKey[3])),
      });
    });
  }, [socket, queryClient]);
}
