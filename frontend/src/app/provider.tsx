/** Everything the app needs around its pages: data fetching, notices, tooltips, live updates. */
import { QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';

import { ToastProvider } from '../components/ui/toast';
import { TooltipProvider } from '../components/ui/tooltip';
import { NotificationsProvider } from '../features/notifications/components/notifications-provider';
import { createQueryClient } from '../lib/react-query';

export function AppProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(createQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <TooltipProvider>
          <NotificationsProvider>{children}</NotificationsProvider>
        </TooltipProvider>
      </ToastProvider>
    </QueryClientProvider>
  );
}
