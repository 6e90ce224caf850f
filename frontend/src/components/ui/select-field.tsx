/**
 * A labelled native `<select>` built from Base UI's Field parts, so it takes part in `Form`
 * like `TextField` does: its value is submitted under `name` and the server's message for
 * that name is shown under it. Native, because a short option list needs nothing more and
 * keeps the platform's keyboard and mobile pickers.
 */
import { Field } from '@base-ui/react/field';
import type { ReactNode } from 'react';

import field from '../field.module.css';
import styles from './form.module.css';

export interface SelectOption {
  value: string;
  label: string;
  disabled?: boolean;
}

interface SelectFieldProps {
  name: string;
  label: ReactNode;
  options: readonly SelectOption[];
  defaultValue?: string;
  value?: string;
  onValueChange?: (value: string) => void;
  description?: ReactNode;
  required?: boolean;
  disabled?: boolean;
}

export function SelectField({
  name,
  label,
  options,
  defaultValue,
  value,
  onValueChange,
  description,
  required,
  disabled,
}: SelectFieldProps) {
  return (
    <Field.Root name={name} className={field.field} disabled={disabled}>
      <Field.Label className={field.label}>{label}</Field.Label>
      <Field.Control
        className={`${field.input} ${styles.input}`}
        required={required}
        render={
          <select
            defaultValue={value === undefined ? defaultValue : undefined}
            value={value}
            onChange={(event) => onValueChange?.(event.target.value)}
          >
            {options.map((option) => (
              <option key={option.value} value={option.value} disabled={option.disabled}>
                {option.label}
              </option>
            ))}
          </select>
        }
      />
      {description && (
        <Field.Description className={styles.description}>{description}</Field.Description>
      )}
      <Field.Error className={styles.error} />
    </Field.Root>
  );
}
