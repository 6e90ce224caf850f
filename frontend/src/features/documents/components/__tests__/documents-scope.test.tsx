import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { DocumentsPage } from '../documents-page';

const SLOW = { timeout: 30_000 };
const LOADED = { timeout: 10_000 };

const page = (results: unknown[]) => ({
  count: results.length,
  next: null,
  previous: null,
  results,
});
const collection = (id: number, name: string, access_role: string) => ({
  id,
  name,
  description: '',
  chunk_size: 160,
  chunk_overlap: 32,
  document_count: 1,
  created_at: '2026-01-01T10:00:00Z',
  updated_at: '2026-01-01T10:00:00Z',
  access_role,
});
const document = (collection_id: number, access_role: string) => ({
  id: collection_id * 10,
  collection_id,
  name: `notes-${collection_id}.md`,
  format: 'markdown',
  size_bytes: 1000,
  sha256: '',
  status: 'ready',
  error: '',
  chunk_count: 3,
  created_at: '2026-01-01T10:00:00Z',
  updated_at: '2026-01-01T10:00:00Z',
  access_role,
});

const mine = collection(1, 'my notes', 'owner');
const theirs = collection(2, 'their manuals', 'read');

function fakeApi() {
  const fetchMock = vi.fn<typeof fetch>((input) => {
    const url = new URL(input as string, 'http://test');
    if (url.pathname === '/api/v1/rag/collections/') {
      const scope = url.searchParams.get('scope');
      return Promise.resolve(
        jsonResponse(
          page(scope === 'shared' ? [theirs] : scope === 'mine' ? [mine] : [mine, theirs]),
        ),
      );
    }
    if (url.pathname === '/api/v1/rag/collections/1/documents/') {
      return Promise.resolve(jsonResponse(page([document(1, 'owner')])));
    }
    if (url.pathname === '/api/v1/rag/collections/2/documents/') {
      return Promise.resolve(jsonResponse(page([document(2, 'read')])));
    }
    return Promise.resolve(jsonResponse(page([])));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function renderPage() {
  return renderWithProviders(
    <MemoryRouter>
      <DocumentsPage />
    </MemoryRouter>,
  );
}

describe('DocumentsPage, yours and shared with you', () => {
  it(
    'lists what is shared with a badge and offers a reader neither upload nor delete',
    SLOW,
    async () => {
      // given
      const fetchMock = fakeApi();
      const { user } = renderPage();
      await screen.findAllByTestId('collection-item', {}, LOADED);

      // when
      await user.click(screen.getByRole('button', { name: 'Shared with you' }));

      // then: the server is asked for the shared side only, and the row says how it is reached
      await screen.findByText('notes-2.md', {}, LOADED);
      const items = screen.getAllByTestId('collection-item');
      expect(items).toHaveLength(1);
      expect(within(items[0]!).getByTestId('access-badge')).toHaveTextContent(
        'shared with you to read',
      );
      const asked = fetchMock.mock.calls.map(([input]) => input as string);
      expect(
        asked.some(
          (url) => url.includes('/api/v1/rag/collections/?') && url.includes('scope=shared'),
        ),
      ).toBe(true);
      expect(screen.queryByRole('button', { name: 'Delete collection' })).toBeNull();
      expect(screen.queryByRole('region', { name: 'Upload documents' })).toBeNull();
      const row = screen.getByTestId('document-row');
      expect(within(row).queryByRole('button', { name: 'Delete' })).toBeNull();
    },
  );

  it('offers the owner upload and delete in their own collection', SLOW, async () => {
    // given
    fakeApi();
    // when
    renderPage();
    // then
    await screen.findByText('notes-1.md', {}, LOADED);
    const items = screen.getAllByTestId('collection-item');
    expect(within(items[0]!).queryByTestId('access-badge')).toBeNull();
    expect(screen.getByRole('button', { name: 'Delete collection' })).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Upload documents' })).toBeInTheDocument();
    const row = screen.getByTestId('document-row');
    expect(within(row).getByRole('button', { name: 'Delete' })).toBeInTheDocument();
  });
});
