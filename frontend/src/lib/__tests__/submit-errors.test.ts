import { describe, expect, it } from 'vitest';

import { ApiError } from '../api-client';
import { submitErrors } from '../submit-errors';

const SHOWN = new Set(['name']);

function invalid(fields: Record<string, string[]>): ApiError {
  return new ApiError({ status: 400, code: 'invalid', message: 'Invalid input.', fields });
}

describe('a failed submit', () => {
  it('leaves a field the form shows under that field, with nothing above the buttons', () => {
    const errors = submitErrors(invalid({ name: ['is taken'] }), SHOWN);
    expect(errors).toEqual({ fields: { name: ['is taken'] }, form: null });
  });

  it('names each field the form has no input for in the message above the buttons', () => {
    const errors = submitErrors(invalid({ name: ['is taken'], spec: ['too big', 'bad'] }), SHOWN);
    expect(errors.fields.name).toEqual(['is taken']);
    expect(errors.form).toBe('spec: too big bad');
  });

  it('shows the message of a failure that names no field', () => {
    expect(submitErrors(new Error('Network down'), SHOWN)).toEqual({
      fields: {},
      form: 'Network down',
    });
  });
});
