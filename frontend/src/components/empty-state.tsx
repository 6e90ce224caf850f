/** What a list shows when it has nothing in it yet: a title, one sentence, maybe an action. */
import type { ReactNode } from 'react';

import styles from './empty-state.module.css';

interface EmptyStateProps {
  title: string;
  description: ReactNode;
  action?: ReactNode;
  'data-testid'?: string;
}

export function EmptyState({ title, description, action, 'data-testid': testId }: EmptyStateProps) {
  return (
    <div className={styles.empty} data-testid={testId}>
      <h2 className={styles.title}>{title}</h2>
      <p className={styles.description}>{description}</p>
      {action}
    </div>
  );
}
