/**
 * A labelled multi-line text field built from Base UI's Field parts, so it takes part in
 * `Form` like `TextField` does: submitted under `name`, the server's message for that name
 * shown under it.
 */
import { Field } from '@base-ui/react/field';
import type { ReactNode } from 'react';

import field from '../field.module.css';
import styles from './form.module.css';
import own from './text-area-field.module.css';

interface TextAreaFieldProps {
  name: string;
  label: ReactNode;
  description?: ReactNode;
  placeholder?: string;
  rows?: number;
  required?: boolean;
  defaultValue?: string;
  value?: string;
  onValueChange?: (value: string) => void;
}

export function TextAreaField({
  name,
  label,
  description,
  placeholder,
  rows = 6,
  required,
  defaultValue,
  value,
  onValueChange,
}: TextAreaFieldProps) {
  return (
    <Field.Root name={name} className={field.field}>
      <Field.Label className={field.label}>{label}</Field.Label>
      <Field.Control
        className={`${field.input} ${styles.input} ${own.textarea}`}
        required={required}
        render={
          <textarea
            rows={rows}
            placeholder={placeholder}
            defaultValue={value === undefined ? defaultValue : undefined}
            value={value}
            onChange={(event) => onValueChange?.(event.target.value)}
          />
        }
      />
      {description && (
        <Field.Description className={styles.description}>{description}</Field.Description>
      )}
      <Field.Error className={styles.error} />
    </Field.Root>
  );
}
