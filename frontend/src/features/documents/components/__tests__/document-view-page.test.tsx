import { screen, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { DocumentViewPage } from '../document-view-page';

const LOADED = { timeout: 10_000 };
const FIRST = 'Rain fell over the harbour all week.';
const MIDDLE =
  'The office moved twice. Bluepeak Systems is headquartered in Lyon. Its staff cycle to work.';
const LAST = 'Nobody remembers the old address.';
const TEXTS = [FIRST, MIDDLE, LAST];
const SENTENCE = 'Bluepeak Systems is headquartered in Lyon.';

const chunk = (index: number) => ({
  document_id: 42,
  document_name: 'firms.txt',
  collection_id: 5,
  chunk_count: TEXTS.length,
  index,
  text: TEXTS[index] ?? '',
  previous_index: index > 0 ? index - 1 : null,
  next_index: index + 1 < TEXTS.length ? index + 1 : null,
});

function fakeApi() {
  const fetchMock = vi.fn<typeof fetch>((input) => {
    const found = /^\/api\/v1\/rag\/documents\/42\/chunks\/(\d+)\/$/.exec(
      new URL(input as string, 'http://test').pathname,
    );
    const index = Number(found?.[1]);
    if (found && index < TEXTS.length) return Promise.resolve(jsonResponse(chunk(index)));
    return Promise.resolve(
      jsonResponse({ error: { code: 'not_found', message: 'firms.txt has no part 8.' } }, 404),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

/** jsdom has no layout and no `scrollIntoView`: a stand-in that records what was scrolled to. */
function watchScrolling() {
  const scrolled = vi.fn<(options?: ScrollIntoViewOptions) => void>();
  Element.prototype.scrollIntoView = scrolled;
  return scrolled;
}

function renderAt(path: string) {
  return renderWithProviders(
    <MemoryRouter initialEntries={[path]}>
      <Routes>
        <Route path="/documents/:documentId" element={<DocumentViewPage documentId={42} />} />
      </Routes>
    </MemoryRouter>,
  );
}

describe('DocumentViewPage', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    delete (Element.prototype as Partial<Element>).scrollIntoView;
  });

  it('opens the cited part with its sentence marked and scrolled into view', async () => {
    // given a link to the sentence in the document's second part
    fakeApi();
    const scrolled = watchScrolling();
    const start = MIDDLE.indexOf(SENTENCE);

    // when it is opened
    renderAt(`/documents/42?chunk=1&start=${start}&end=${start + SENTENCE.length}`);

    // then the part shows whole, with exactly the sentence marked and brought into view
    const text = await screen.findByTestId('document-chunk', {}, LOADED);
    expect(text).toHaveTextContent(MIDDLE);
    const mark = within(text).getByText(SENTENCE);
    expect(mark.tagName).toBe('MARK');
    expect(scrolled).toHaveBeenCalledTimes(1);
    expect(scrolled.mock.contexts[0]).toBe(mark);
    expect(screen.getByRole('heading', { name: 'firms.txt' })).toBeVisible();
    expect(screen.getByText('Part 2 of 3')).toBeVisible();
  });

  it('steps to the next and previous parts, without the mark of the part it came from', async () => {
    // given the second part opened at its sentence
    fakeApi();
    watchScrolling();
    const { user } = renderAt('/documents/42?chunk=1&start=24&end=66');
    const parts = await screen.findByRole('navigation', { name: 'Parts of the document' }, LOADED);

    // when the next part is opened
    await user.click(within(parts).getByRole('link', { name: 'Next part →' }));

    // then it shows, unmarked, at the end of the document, with the way back
    expect(await screen.findByText('Part 3 of 3', {}, LOADED)).toBeVisible();
    const text = screen.getByTestId('document-chunk');
    expect(text).toHaveTextContent(LAST);
    expect(text.querySelector('mark')).toBeNull();
    expect(screen.getByText('End of the document')).toBeVisible();
    expect(screen.getByRole('link', { name: '← Previous part' })).toHaveAttribute(
      'href',
      '/documents/42?chunk=1',
    );
  });

  it('ignores offsets that do not fit the part and says when a part does not exist', async () => {
    // given
    fakeApi();

    // when a part is opened with offsets past its end
    const first = renderAt('/documents/42?chunk=0&start=5&end=900');

    // then it shows unmarked
    const text = await screen.findByTestId('document-chunk', {}, LOADED);
    expect(text).toHaveTextContent(FIRST);
    expect(text.querySelector('mark')).toBeNull();
    expect(screen.getByText('Start of the document')).toBeVisible();
    first.unmount();

    // when a part the document lacks is opened
    renderAt('/documents/42?chunk=7');

    // then the server's reason shows
    expect(await screen.findByRole('alert', {}, LOADED)).toHaveTextContent(
      'Could not open this part of the document. firms.txt has no part 8.',
    );
  });
});
