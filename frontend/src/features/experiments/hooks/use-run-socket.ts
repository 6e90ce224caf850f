/**
 * The live socket of one run (`/ws/runs/{id}/`): metric points, progress, log lines and status
 * changes, each handed to the caller as it arrives. Also reports the connection status and
 * calls `onReconnect` when the socket comes back after a drop, since events sent while it was
 * down are lost and the caller should fetch what it missed.
 */
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';

import { ReconnectingSocket, type SocketStatus, socketUrl } from '../../../lib/ws';
import type { LivePoint } from '../utils/live-series';

export type RunEvent =
  | { type: 'run.metrics'; run: number; points: LivePoint[] }
  | {
      type: 'run.progress';
      run: number;
      step: number;
      max_steps: number;
      eta_seconds: number | null;
      tokens_per_s?: number | null;
      best_val_loss?: number | null;
    }
  | { type: 'run.log'; run: number; id?: number; line: string }
  | { type: 'run.status'; run: number; status: string };

export interface RunSocketHandlers {
  onEvent: (event: RunEvent) => void;
  onReconnect?: () => void;
}

export function useRunSocket(
  runId: number,
  handlers: RunSocketHandlers,
  createSocket?: (url: string) => WebSocket,
): SocketStatus {
  const [socket] = useState(
    () => new ReconnectingSocket(socketUrl(`/ws/runs/${runId}/`), { createSocket }),
  );
  // The latest handlers, so a re-render never re-subscribes the socket.
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });

  useEffect(() => {
    let wasOpen = false;
    const unsubscribe = socket.subscribe((message) => {
      latest.current.onEvent(message as unknown as RunEvent);
    });
    const unsubscribeStatus = socket.subscribeStatus((status) => {
      if (status !== 'open') return;
      if (wasOpen) latest.current.onReconnect?.();
      wasOpen = true;
    });
    socket.open();
    return () => {
      unsubscribe();
      unsubscribeStatus();
      socket.close();
    };
  }, [socket]);

  return useSyncExternalStore(socket.subscribeStatus, socket.getStatus);
}
