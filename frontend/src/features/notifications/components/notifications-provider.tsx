/** Keeps one `/ws/notifications/` socket open for the signed-in user while the app is mounted. */
import { type ReactNode, useEffect, useState } from 'react';

import { ReconnectingSocket, socketUrl } from '../../../lib/ws';
import { NotificationsContext } from '../hooks/use-notifications';

export function NotificationsProvider({ children }: { children: ReactNode }) {
  const [socket] = useState(() => new ReconnectingSocket(socketUrl('/ws/notifications/')));

  useEffect(() => {
    socket.open();
    return () => socket.close();
  }, [socket]);

  return <NotificationsContext value={socket}>{children}</NotificationsContext>;
}
