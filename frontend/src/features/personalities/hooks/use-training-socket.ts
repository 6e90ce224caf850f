/**
 * Live neural training of one personality version (`/ws/personality-versions/{id}/`): each
 * finished epoch's loss and progress is written into the cached personality as it arrives,
 * and the final status refetches it. After a dropped connection the personality is refetched
 * too, since events sent meanwhile are lost, and while the socket is not open (connecting, or
 * refused by a proxy) the personality is polled instead. Returns the connection status.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useSyncExternalStore } from 'react';

import { ReconnectingSocket, type SocketStatus, socketUrl } from '../../../lib/ws';
import {
  type Personality,
  personalitiesQueryKey,
  personalityQueryKey,
  POLL_WHILE_TRAINING_MS,
} from '../api/get-personality';

export type TrainingEvent =
  | {
      type: 'personality_version.progress';
      version: number;
      epoch: number;
      epochs: number;
      loss: number;
      progress: number;
    }
  | { type: 'personality_version.status'; version: number; status: string; error: string };

/** The personality with one more epoch on its training version (a repeated epoch is ignored). */
export function withEpoch(
  personality: Personality,
  event: Extract<TrainingEvent, { type: 'personality_version.progress' }>,
): Personality {
  const version = personality.current_version;
  if (version === null || version.id !== event.version) return personality;
  const last = version.metrics.at(-1)?.epoch ?? 0;
  if (event.epoch <= last) return personality;
  return {
    ...personality,
    current_version: {
      ...version,
      progress: event.progress,
      metrics: [...version.metrics, { epoch: event.epoch, loss: event.loss }],
    },
  };
}

// What a page without a training version subscribes to: a socket that never opens.
const NO_SOCKET = {
  subscribeStatus: () => () => undefined,
  getStatus: (): SocketStatus => 'closed',
};

export function useTrainingSocket(
  personalityId: number,
  versionId: number | null,
  createSocket?: (url: string) => WebSocket,
): SocketStatus {
  const queryClient = useQueryClient();
  // Building the socket connects nothing; the effect opens it and closes it again.
  const socket = useMemo(
    () =>
      versionId === null
        ? null
        : new ReconnectingSocket(socketUrl(`/ws/personality-versions/${versionId}/`), {
            createSocket,
          }),
    [versionId, createSocket],
  );

  useEffect(() => {
    if (socket === null) return undefined;
    const key = personalityQueryKey(personalityId);
    let wasOpen = false;
    const unsubscribe = socket.subscribe((message) => {
      const event = message as unknown as TrainingEvent;
      if (event.type === 'personality_version.progress') {
        const cached = queryClient.getQueryData<Personality>(key);
        const last = cached?.current_version?.metrics.at(-1)?.epoch ?? 0;
        // Epochs finished before the socket opened are read from the API, not lost.
        if (event.epoch > last + 1) void queryClient.invalidateQueries({ queryKey: key });
        else queryClient.setQueryData<Personality>(key, (old) => old && withEpoch(old, event));
      } else if (event.type === 'personality_version.status') {
        void queryClient.invalidateQueries({ queryKey: personalitiesQueryKey });
      }
    });
    const unsubscribeStatus = socket.subscribeStatus((status) => {
      if (status !== 'open') return;
      if (wasOpen) void queryClient.invalidateQueries({ queryKey: key });
      wasOpen = true;
    });
    socket.open();
    return () => {
      unsubscribe();
      unsubscribeStatus();
      socket.close();
    };
  }, [socket, personalityId, queryClient]);

  const status = useSyncExternalStore(
    (socket ?? NO_SOCKET).subscribeStatus,
    (socket ?? NO_SOCKET).getStatus,
  );

  useEffect(() => {
    if (versionId === null || status === 'open') return undefined;
    const timer = setInterval(
      () => void queryClient.invalidateQueries({ queryKey: personalityQueryKey(personalityId) }),
      POLL_WHILE_TRAINING_MS,
    );
    return () => clearInterval(timer);
  }, [versionId, status, personalityId, queryClient]);

  return status;
}
