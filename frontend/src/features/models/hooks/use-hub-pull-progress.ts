/**
 * Live download progress of versions being pulled from a hub (`model_version.progress` on the
 * notifications socket), by version id. Without the socket the version's own `hub.bytes_done`,
 * refreshed by the versions list's polling, still moves the bar.
 */
import { useContext, useEffect, useState } from 'react';

import { NotificationsContext } from '../../../lib/notifications';

export interface PullProgress {
  done: number;
  total: number;
}

export function useHubPullProgress(): ReadonlyMap<number, PullProgress> {
  const socket = useContext(NotificationsContext);
  const [progress, setProgress] = useState<ReadonlyMap<number, PullProgress>>(new Map());
  useEffect(() => {
    if (socket === null) return undefined;
    return socket.subscribe((message) => {
      if (message.type !== 'model_version.progress') return;
      const { id, done, total } = message as { id?: unknown; done?: unknown; total?: unknown };
      if (typeof id !== 'number' || typeof done !== 'number' || typeof total !== 'number') return;
      setProgress((current) => new Map(current).set(id, { done, total }));
    });
  }, [socket]);
  return progress;
}
