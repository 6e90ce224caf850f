/** Shows each alert that fires or resolves as a toast wherever the user is in the app, and
 * refreshes the Alerts page's lists (`alert.fired` / `alert.resolved` on the notifications
 * socket). Renders nothing itself. */
import { useQueryClient } from '@tanstack/react-query';
import { useContext, useEffect } from 'react';

import { useToast } from '../../../components/ui/toast';
import { NotificationsContext } from '../../../lib/notifications';
import { alertsQueryKey } from '../api/get-alert-rules';

interface AlertNotice {
  type: string;
  message?: string;
  rule?: { name?: string };
}

export function AlertNotices() {
  const socket = useContext(NotificationsContext);
  const queryClient = useQueryClient();
  const toast = useToast();
  useEffect(() => {
    if (socket === null) return undefined;
    return socket.subscribe((raw) => {
      const message = raw as AlertNotice;
      if (message.type !== 'alert.fired' && message.type !== 'alert.resolved') return;
      const state = message.type === 'alert.fired' ? 'firing' : 'resolved';
      toast.add({
        title: `Alert ${state}: ${message.rule?.name ?? ''}`,
        description: message.message,
      });
      void queryClient.invalidateQueries({ queryKey: alertsQueryKey });
    });
  }, [socket, queryClient, toast]);
  return null;
}
