/**
 * What the training forms share: the spec of a number input (named by the server's dotted
 * error path, e.g. `config.train.max_iters`) and how a form value is read as trimmed text.
 */

export interface NumberFieldSpec {
  name: string;
  label: string;
  kind: 'int' | 'float';
  defaultValue: string;
  description?: string;
  /** Smallest value the engine accepts; the browser checks it before sending. */
  min?: number;
}

/** A form value as trimmed text; anything but a string or number is blank. */
export function formText(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}
