/**
 * A row of buttons of which exactly one is pressed (a segmented control), from Base UI's
 * ToggleGroup and Toggle: arrow keys move between them, and the pressed one is announced.
 */
import { Toggle } from '@base-ui/react/toggle';
import { ToggleGroup as BaseToggleGroup } from '@base-ui/react/toggle-group';

import styles from './toggle-group.module.css';

export interface ToggleOption<V extends string> {
  value: V;
  label: string;
}

interface ToggleGroupProps<V extends string> {
  label: string;
  options: readonly ToggleOption<V>[];
  value: V;
  onValueChange: (value: V) => void;
  'data-testid'?: string;
}

export function ToggleGroup<V extends string>({
  label,
  options,
  value,
  onValueChange,
  'data-testid': testId,
}: ToggleGroupProps<V>) {
  return (
    <BaseToggleGroup
      aria-label={label}
      className={styles.group}
      value={[value]}
      // Pressing the pressed button again would leave none pressed: keep the current one.
      onValueChange={(pressed) => {
        const next = pressed[0];
        if (next !== undefined) onValueChange(next);
      }}
      data-testid={testId}
    >
      {options.map((option) => (
        <Toggle key={option.value} value={option.value} className={styles.item}>
          {option.label}
        </Toggle>
      ))}
    </BaseToggleGroup>
  );
}
