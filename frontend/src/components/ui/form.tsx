/**
 * Forms and their fields: Base UI's Form (which shows server-side field errors next to the
 * right field) and a labelled text field built from Base UI's Field parts.
 */
import { Field } from '@base-ui/react/field';
import { Form as BaseForm } from '@base-ui/react/form';
import { type ReactNode, useMemo } from 'react';

import field from '../field.module.css';
import styles from './form.module.css';

export interface FormProps extends Omit<BaseForm.Props, 'className' | 'errors'> {
  /** Messages per field name, as the API returns them in `error.fields`. */
  errors?: Readonly<Record<string, readonly string[]>>;
}

export function Form({ errors, ...props }: FormProps) {
  // Base UI wants mutable arrays; ours are read-only views of the API error. The copy is kept
  // stable so a re-render does not look like a new set of server errors.
  const fieldErrors = useMemo(
    () =>
      errors &&
      Object.fromEntries(Object.entries(errors).map(([name, messages]) => [name, [...messages]])),
    [errors],
  );
  return <BaseForm className={styles.form} errors={fieldErrors} {...props} />;
}

export interface TextFieldProps extends Omit<Field.Control.Props, 'className' | 'name'> {
  name: string;
  label: ReactNode;
  description?: ReactNode;
}

export function TextField({ name, label, description, ...controlProps }: TextFieldProps) {
  return (
    <Field.Root name={name} className={field.field}>
      <Field.Label className={field.label}>{label}</Field.Label>
      <Field.Control className={`${field.input} ${styles.input}`} {...controlProps} />
      {description && (
        <Field.Description className={styles.description}>{description}</Field.Description>
      )}
      <Field.Error className={styles.error} />
    </Field.Root>
  );
}

/** A message about the whole form (not one field), such as a server or network failure. */
export function FormError({ children }: { children: ReactNode }) {
  return (
    <p role="alert" className={styles.formError}>
      {children}
    </p>
  );
}
