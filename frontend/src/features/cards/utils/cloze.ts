/**
 * The two sides of a cloze card, from Anki's syntax: `{{c1::polonium}}` or `{{c1::polonium::an
 * element}}`. The question hides every deletion (showing its hint when it has one), the answer
 * shows the deleted text in its place. Plain text comes back unchanged on both sides.
 */
const DELETION = /\{\{c\d+::(.*?)(?:::(.*?))?\}\}/gs;

export interface ClozeSides {
  question: string;
  answer: string;
}

export function clozeSides(text: string): ClozeSides {
  return {
    question: text.replace(DELETION, (_match, _answer: string, hint?: string) =>
      hint ? `[${hint}]` : '[…]',
    ),
    answer: text.replace(DELETION, (_match, answer: string) => answer),
  };
}
