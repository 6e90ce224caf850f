/**
 * Which of a reply's sources its text cites. The server stores every excerpt the model was
 * given; the model cites them as `[1]`, `[2, 3]` or `[1][3]`. Only those the text names are
 * shown as its sources, so the list matches what the reader sees; the rest are excerpts it was
 * shown and did not use.
 */
import type { Citation } from './chat-stream';

const MARKER = /\[(\d+(?:\s*,\s*\d+)*)\]/g;

/** The source numbers `text` cites, in no particular order. */
export function citedNumbers(text: string): Set<number> {
  const numbers = new Set<number>();
  for (const [, list] of text.matchAll(MARKER)) {
    for (const part of (list ?? '').split(',')) numbers.add(Number(part.trim()));
  }
  return numbers;
}

export interface SplitSources {
  /** Sources the text cites, in source order. */
  cited: Citation[];
  /** Sources the model was given that the text does not cite. */
  uncited: Citation[];
}

export function splitSources(text: string, citations: readonly Citation[]): SplitSources {
  const numbers = citedNumbers(text);
  return {
    cited: citations.filter((citation) => numbers.has(citation.source)),
    uncited: citations.filter((citation) => !numbers.has(citation.source)),
  };
}
