/** Keeps one `/ws/notifications/` socket open for the signed-in user while the app is mounted. */
import { type ReactNode, useEffect, useState } from 'react';

import { NotificationsContext } from '../../../lib/notifications';
import { ReconnectingSocket, socketUrl } from '../../../lib/ws';

export function NotificationsProvider({ children }: { children: ReactNode }) {
  const [socket] = useState(() => new ReconnectingSocket(socketUrl('/ws/notifications/')));

  useEffect(() => {
    socket.open();
    return () => socket.close();
  }, [socket]);

  return <NotificationsContext value={socket}>{children}</NotificationsContext>;
}
