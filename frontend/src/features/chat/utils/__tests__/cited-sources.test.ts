import { describe, expect, it } from 'vitest';

import type { Citation } from '../chat-stream';
import { citedNumbers, splitSources } from '../cited-sources';

function source(number: number): Citation {
  return {
    source: number,
    document_id: number,
    document_name: `doc-${number}.md`,
    chunk_index: 0,
    score: 0.5,
  };
}

describe('splitSources', () => {
  it('keeps as sources only those the text cites, in any marker form', () => {
    // given
    const text = 'Whales sing [1]. Foxes jump [3, 4][2]; footnote [12] is not given.';
    // when
    const { cited, uncited } = splitSources(text, [1, 2, 3, 4, 5].map(source));
    // then
    expect(cited.map((item) => item.source)).toEqual([1, 2, 3, 4]);
    expect(uncited.map((item) => item.source)).toEqual([5]);
  });

  it('cites nothing when the text has no marker', () => {
    // when
    const { cited, uncited } = splitSources('A fourteen-line poem.', [source(1), source(2)]);
    // then
    expect(cited).toEqual([]);
    expect(uncited).toHaveLength(2);
    expect(citedNumbers('an array [a] or [ ] is no marker').size).toBe(0);
  });
});
