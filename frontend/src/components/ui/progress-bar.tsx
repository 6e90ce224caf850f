/**
 * A labelled progress bar (Base UI Progress): the label and a caller-written value text on one
 * line, the bar below. A `null` value shows an indeterminate bar, for work of unknown length.
 */
import { Progress } from '@base-ui/react/progress';
import type { ReactNode } from 'react';

import styles from './progress-bar.module.css';

interface ProgressBarProps {
  /** Done so far, in the same unit as `max`; null while the amount is not known yet. */
  value: number | null;
  max?: number;
  label: ReactNode;
  /** What the numbers mean to a person, e.g. "45% · 12 MB of 26 MB". */
  valueText?: ReactNode;
  /** Read by screen readers instead of the bare percentage. */
  ariaValueText?: string;
  tone?: 'accent' | 'success' | 'danger';
  'data-testid'?: string;
}

export function ProgressBar({
  value,
  max = 100,
  label,
  valueText,
  ariaValueText,
  tone = 'accent',
  'data-testid': testId,
}: ProgressBarProps) {
  return (
    <Progress.Root
      value={value}
      max={max}
      getAriaValueText={ariaValueText === undefined ? undefined : () => ariaValueText}
      className={styles.root}
      data-testid={testId}
      data-tone={tone}
    >
      <Progress.Label className={styles.label}>{label}</Progress.Label>
      <span className={styles.value}>{valueText}</span>
      <Progress.Track className={styles.track}>
        <Progress.Indicator className={styles.indicator} />
      </Progress.Track>
    </Progress.Root>
  );
}
