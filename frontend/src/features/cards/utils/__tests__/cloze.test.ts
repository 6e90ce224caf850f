import { describe, expect, it } from 'vitest';

import { clozeSides } from '../cloze';

describe('clozeSides', () => {
  it('hides each deletion on the question, showing its hint, and fills it in on the answer', () => {
    // given a cloze text with two deletions, one with a hint
    const text = 'Marie Curie discovered {{c1::polonium::an element}} in {{c2::1898}}.';

    // when its sides are made
    const sides = clozeSides(text);

    // then the question hides both and the answer shows both
    expect(sides.question).toBe('Marie Curie discovered [an element] in […].');
    expect(sides.answer).toBe('Marie Curie discovered polonium in 1898.');
  });

  it('leaves text without deletions as it is', () => {
    expect(clozeSides('Plain {text}')).toEqual({
      question: 'Plain {text}',
      answer: 'Plain {text}',
    });
  });
});
