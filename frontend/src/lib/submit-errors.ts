/**
 * Splits a failed create or edit into messages the form shows under their fields and one
 * message for the rest (a network failure, a field the form has no input for).
 */
import { ApiError } from './api-client';

export interface SubmitErrors {
  fields: ApiError['fields'];
  form: string | null;
}

export function submitErrors(error: Error, shownFields: ReadonlySet<string>): SubmitErrors {
  const fields = error instanceof ApiError ? error.fields : {};
  const unshown = Object.keys(fields).filter((name) => !shownFields.has(name));
  if (Object.keys(fields).length === 0) return { fields, form: error.message };
  const form = unshown.length
    ? unshown.map((name) => `${name}: ${fields[name]?.join(' ') ?? ''}`).join('\n')
    : null;
  return { fields, form };
}
