/** A small coloured label for a status word, such as "valid" or "running". */
import type { ReactNode } from 'react';

import styles from './badge.module.css';

export type BadgeTone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

interface BadgeProps {
  tone?: BadgeTone;
  children: ReactNode;
  /** Shows a pulsing dot, for states that are still changing (validating, running). */
  live?: boolean;
  'data-testid'?: string;
}

export function Badge({
  tone = 'neutral',
  children,
  live = false,
  'data-testid': testId,
}: BadgeProps) {
  return (
    <span className={`${styles.badge} ${styles[tone]}`} data-testid={testId}>
      {live && <span className={styles.dot} aria-hidden="true" />}
      {children}
    </span>
  );
}
