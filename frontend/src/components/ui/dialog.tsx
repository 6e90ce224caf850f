/**
 * Modal dialogs: Base UI's Dialog for forms and messages, and its AlertDialog for questions
 * that need an answer (confirmations). Both are controlled by the caller's `open` state.
 */
import { AlertDialog as BaseAlertDialog } from '@base-ui/react/alert-dialog';
import { Dialog as BaseDialog } from '@base-ui/react/dialog';
import type { ReactNode } from 'react';

import { Button, type ButtonProps } from './button';
import styles from './dialog.module.css';

interface DialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** Runs once the closing animation ends, to drop content that should not linger. */
  onClosed?: () => void;
  title: ReactNode;
  description?: ReactNode;
  children: ReactNode;
  /** False keeps the dialog open on outside clicks, for content the user must not lose. */
  dismissOnOutsidePress?: boolean;
  /** A wider popup, for forms with a live preview beside their fields. */
  wide?: boolean;
  'data-testid'?: string;
}

export function Dialog({
  open,
  onOpenChange,
  onClosed,
  title,
  description,
  children,
  dismissOnOutsidePress = true,
  wide = false,
  'data-testid': testId,
}: DialogProps) {
  return (
    <BaseDialog.Root
      open={open}
      onOpenChange={onOpenChange}
      onOpenChangeComplete={(isOpen) => {
        if (!isOpen) onClosed?.();
      }}
      disablePointerDismissal={!dismissOnOutsidePress}
    >
      <BaseDialog.Portal>
        <BaseDialog.Backdrop className={styles.backdrop} />
        <BaseDialog.Popup
          className={wide ? `${styles.popup} ${styles.wide}` : styles.popup}
          data-testid={testId}
        >
          <BaseDialog.Title className={styles.title}>{title}</BaseDialog.Title>
          {description && (
            <BaseDialog.Description className={styles.description}>
              {description}
            </BaseDialog.Description>
          )}
          {children}
        </BaseDialog.Popup>
      </BaseDialog.Portal>
    </BaseDialog.Root>
  );
}

/** A button that closes the dialog it sits in. */
export function DialogClose(props: ButtonProps) {
  return <BaseDialog.Close render={<Button {...props} />} />;
}

/** The row of buttons at the bottom of a dialog, primary action last. */
export function DialogActions({ children }: { children: ReactNode }) {
  return <div className={styles.actions}>{children}</div>;
}

interface ConfirmDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: ReactNode;
  description: ReactNode;
  confirmLabel: string;
  /** The button that backs out; name it when "Cancel" would read as the action itself. */
  dismissLabel?: string;
  onConfirm: () => void;
  /** While true the confirm button is disabled, so a slow request is not sent twice. */
  pending?: boolean;
  /** Why the last attempt failed; the dialog stays open so the user can retry or cancel. */
  error?: string;
}

export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  description,
  confirmLabel,
  dismissLabel = 'Cancel',
  onConfirm,
  pending = false,
  error,
}: ConfirmDialogProps) {
  return (
    <BaseAlertDialog.Root open={open} onOpenChange={onOpenChange}>
      <BaseAlertDialog.Portal>
        <BaseAlertDialog.Backdrop className={styles.backdrop} />
        <BaseAlertDialog.Popup className={styles.popup}>
          <BaseAlertDialog.Title className={styles.title}>{title}</BaseAlertDialog.Title>
          <BaseAlertDialog.Description className={styles.description}>
            {description}
          </BaseAlertDialog.Description>
          {error && (
            <p role="alert" className={styles.error}>
              {error}
            </p>
          )}
          <DialogActions>
            <BaseAlertDialog.Close render={<Button />}>{dismissLabel}</BaseAlertDialog.Close>
            <Button variant="danger" onClick={onConfirm} disabled={pending}>
              {confirmLabel}
            </Button>
          </DialogActions>
        </BaseAlertDialog.Popup>
      </BaseAlertDialog.Portal>
    </BaseAlertDialog.Root>
  );
}
