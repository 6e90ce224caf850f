/**
 * Short notices in the corner of the screen (Base UI Toast): `ToastProvider` mounts the
 * viewport once for the app; components call `useToast().add({ title, description })`.
 */
import { Toast } from '@base-ui/react/toast';
import type { ReactNode } from 'react';

import styles from './toast.module.css';

export const useToast = Toast.useToastManager;

function ToastList() {
  const { toasts } = Toast.useToastManager();
  return toasts.map((toast) => (
    <Toast.Root key={toast.id} toast={toast} className={styles.toast}>
      <Toast.Content className={styles.content}>
        <div>
          <Toast.Title className={styles.title} />
          <Toast.Description className={styles.description} />
        </div>
        <Toast.Close className={styles.close} aria-label="Dismiss notification">
          ×
        </Toast.Close>
      </Toast.Content>
    </Toast.Root>
  ));
}

export function ToastProvider({ children }: { children: ReactNode }) {
  return (
    <Toast.Provider>
      {children}
      <Toast.Portal>
        <Toast.Viewport className={styles.viewport}>
          <ToastList />
        </Toast.Viewport>
      </Toast.Portal>
    </Toast.Provider>
  );
}
