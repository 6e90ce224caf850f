import { describe, expect, it } from 'vitest';

import { formatGain, formatRatio, formatScore } from '../format';

describe('evaluation numbers', () => {
  it('sign every gain, with a true minus and ± for no change', () => {
    expect(formatGain(0.12)).toBe('+0.120');
    expect(formatGain(-0.04)).toBe('−0.040');
    expect(formatGain(0)).toBe('±0.000');
  });

  it('show a ratio as a factor and a score to the digits asked', () => {
    expect(formatRatio(1.184)).toBe('×1.18');
    expect(formatScore(0.6204)).toBe('0.620');
    expect(formatScore(0.6204, 2)).toBe('0.62');
  });

  it('show a dash for what was not measured', () => {
    for (const missing of [null, undefined, Number.NaN, 'x']) {
      expect(formatGain(missing)).toBe('–');
      expect(formatRatio(missing)).toBe('–');
      expect(formatScore(missing)).toBe('–');
    }
  });
});
