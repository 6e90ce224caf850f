import { describe, expect, it } from 'vitest';

import {
  addStep,
  moveStep,
  newStep,
  removeStep,
  stepErrors,
  stepFromPayload,
  stepToPayload,
  updateStep,
} from '../steps';

describe('recipe steps', () => {
  it('moves a step up or down and leaves the list alone past either end', () => {
    // given
    const steps = addStep(addStep(addStep([], 'normalize'), 'length_filter'), 'dedup_exact');
    // when
    const up = moveStep(steps, 2, -1);
    const pastTop = moveStep(steps, 0, -1);
    // then
    expect(up.map((step) => step.type)).toEqual(['normalize', 'dedup_exact', 'length_filter']);
    expect(pastTop.map((step) => step.type)).toEqual(['normalize', 'length_filter', 'dedup_exact']);
    expect(removeStep(steps, 1).map((step) => step.type)).toEqual(['normalize', 'dedup_exact']);
  });

  it('sends numbers as numbers, lists as lists, and leaves out empty options', () => {
    // given
    let steps = [newStep('length_filter'), newStep('language_filter')];
    steps = updateStep(steps, 0, 'min', '20');
    steps = updateStep(steps, 1, 'languages', 'en, de');
    // when
    const [length, language] = steps.map(stepToPayload);
    // then
    expect(length).toEqual({ type: 'length_filter', unit: 'chars', min: 20 });
    expect(language).toEqual({
      type: 'language_filter',
      languages: ['en', 'de'],
      min_confidence: 0.5,
    });
  });

  it('sends a number it cannot read as typed, so the server can name the field', () => {
    const steps = updateStep([newStep('sample')], 0, 'fraction', 'half');
    expect(stepToPayload(steps[0]!)).toMatchObject({ fraction: 'half' });
  });

  it('reads a stored step back into the same form values', () => {
    // given
    const stored = { type: 'split', train: 0.7, validation: 0.2, test: 0.1, seed: 3 };
    // when
    const step = stepFromPayload(stored);
    // then
    expect(step.values).toMatchObject({ train: '0.7', seed: '3', group_by: '' });
    expect(stepToPayload(step)).toEqual(stored);
  });

  it("picks one step's messages out of the server's fields", () => {
    const fields = {
      'steps.1.pattern': ['does not compile: missing )'],
      'steps.0': ['unknown step type'],
      name: ['required'],
    };
    expect(stepErrors(fields, 1)).toEqual({ pattern: 'does not compile: missing )' });
    expect(stepErrors(fields, 0)).toEqual({ type: 'unknown step type' });
  });
});
