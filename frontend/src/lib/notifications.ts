/** Access to the user's notifications socket, which `NotificationsProvider` keeps open. */
import { createContext, useContext, useSyncExternalStore } from 'react';

import type { ReconnectingSocket, SocketStatus } from './ws';

export const NotificationsContext = createContext<ReconnectingSocket | null>(null);

export function useNotificationsSocket(): ReconnectingSocket {
  const socket = useContext(NotificationsContext);
  if (socket === null)
    throw new Error('useNotificationsSocket needs a <NotificationsProvider> above it.');
  return socket;
}

/** The socket's connection status, re-rendering when it changes. */
export function useLiveStatus(): SocketStatus {
  const socket = useNotificationsSocket();
  return useSyncExternalStore(socket.subscribeStatus, socket.getStatus);
}
