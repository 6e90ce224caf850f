import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';

import { Citations } from '../citations';

describe('Citations', () => {
  it('shows the sentence a graph-found source was cited for, under its line', () => {
    // given a reply citing a passage the knowledge graph found, and one hybrid search found
    const sentence = 'Acme Rockets is based in Lyon.';
    const citations = [
      {
        source: 1,
        document_id: 7,
        document_name: 'acme.md',
        chunk_index: 2,
        score: 0.03,
        sentences: [{ text: sentence, start: 10, end: 40 }],
      },
      { source: 2, document_id: 8, document_name: 'ada.md', chunk_index: 0, score: 0.02 },
    ];

    // when its sources are shown
    render(
      <MemoryRouter>
        <Citations content="Ada works in Lyon [1][2]." citations={citations} />
      </MemoryRouter>,
    );

    // then the graph-found source shows its sentence and the other shows none
    const [graphFound, searched] = screen.getAllByTestId('citation');
    expect(graphFound).toHaveTextContent(`[1] acme.md · part 3`);
    expect(screen.getAllByTestId('citation-sentence')).toHaveLength(1);
    expect(screen.getByTestId('citation-sentence')).toHaveTextContent(sentence);
    expect(searched).not.toHaveTextContent(sentence);
  });
});

describe('Citations links', () => {
  it('open the cited part, at the sentence used when the graph found it', () => {
    // given a graph-found citation and a searched one
    const citations = [
      {
        source: 1,
        document_id: 7,
        document_name: 'acme.md',
        chunk_index: 2,
        score: 0.03,
        sentences: [{ text: 'Acme Rockets is based in Lyon.', start: 10, end: 40 }],
      },
      { source: 2, document_id: 8, document_name: 'ada.md', chunk_index: 0, score: 0.02 },
    ];

    // when its sources are shown
    render(
      <MemoryRouter>
        <Citations content="Ada works in Lyon [1][2]." citations={citations} />
      </MemoryRouter>,
    );

    // then each document link opens its part, the graph-found one marking the sentence
    expect(screen.getByRole('link', { name: 'acme.md' })).toHaveAttribute(
      'href',
      '/documents/7?chunk=2&start=10&end=40',
    );
    expect(screen.getByRole('link', { name: 'ada.md' })).toHaveAttribute(
      'href',
      '/documents/8?chunk=0',
    );
  });
});
