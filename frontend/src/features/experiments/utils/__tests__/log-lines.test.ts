import { describe, expect, it } from 'vitest';

import { mergeLogLines } from '../log-lines';

describe('mergeLogLines', () => {
  it('shows the stored lines, then the live ones the stored log does not have yet', () => {
    // given: line 3 arrived over the socket while the stored log (which has it) loaded
    const stored = [
      { id: 1, line: 'step 10: loss 3.1' },
      { id: 3, line: 'step 20: loss 2.9' },
    ];
    const live = [
      { id: 3, line: 'step 20: loss 2.9' },
      { id: 4, line: 'step 30: loss 2.7' },
    ];

    // when
    const lines = mergeLogLines(stored, live, 100);

    // then
    expect(lines).toEqual(['step 10: loss 3.1', 'step 20: loss 2.9', 'step 30: loss 2.7']);
  });

  it('keeps only the last lines', () => {
    const live = [1, 2, 3, 4].map((id) => ({ id, line: `line ${id}` }));
    expect(mergeLogLines([], live, 2)).toEqual(['line 3', 'line 4']);
  });
});
