import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { KnowledgeGraphPage } from '../knowledge-graph-page';

// jsdom has no canvas: the drawing fails to load and the entity list beside it is what is tested.
vi.mock('cytoscape', () => Promise.reject(new Error('no canvas')));

const LOADED = { timeout: 10_000 };
const node = (id: number, name: string, degree: number) => ({
  id,
  name,
  label: 'PERSON',
  aliases: [],
  degree,
});
const GRAPH = {
  nodes: [node(1, 'Noah Keller', 1), node(2, 'Bluepeak Systems', 2), node(3, 'Lyon', 1)],
  edges: [
    { id: 10, subject: 1, object: 2, predicate: 'works at' },
    { id: 11, subject: 2, object: 3, predicate: 'is headquartered in' },
  ],
};
const COMPANY = {
  ...node(2, 'Bluepeak Systems', 2),
  label: 'ORG',
  aliases: ['Bluepeak'],
  collection_id: 5,
  neighbours: [
    { id: 1, name: 'Noah Keller', label: 'PERSON' },
    { id: 3, name: 'Lyon', label: 'GPE' },
  ],
  edges: [
    {
      id: 11,
      subject: 2,
      subject_name: 'Bluepeak Systems',
      object: 3,
      object_name: 'Lyon',
      predicate: 'is headquartered in',
      sentence: 'Bluepeak Systems is headquartered in Lyon.',
      document_id: 42,
      document_name: 'firms.txt',
      chunk_index: 0,
      sentence_start: 0,
      sentence_end: 42,
    },
  ],
};

function fakeApi() {
  const fetchMock = vi.fn<typeof fetch>((input) => {
    const url = new URL(input as string, 'http://test');
    if (url.pathname === '/api/v1/rag/collections/') {
      return Promise.resolve(jsonResponse({ count: 0, next: null, previous: null, results: [] }));
    }
    if (url.pathname === '/api/v1/collections/5/graph/') {
      const q = url.searchParams.get('q');
      return Promise.resolve(jsonResponse(q === 'nobody' ? { nodes: [], edges: [] } : GRAPH));
    }
    if (url.pathname === '/api/v1/entities/2/') return Promise.resolve(jsonResponse(COMPANY));
    return Promise.resolve(jsonResponse({ error: { code: 'not_found', message: 'No.' } }, 404));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function renderPage() {
  return renderWithProviders(
    <MemoryRouter>
      <KnowledgeGraphPage collectionId={5} />
    </MemoryRouter>,
  );
}

describe('KnowledgeGraphPage', () => {
  it('lists the entities and, for the one selected, its neighbours and the sentence behind each fact', async () => {
    // given a collection whose graph joins a person, a company and a city
    fakeApi();
    const { user } = renderPage();
    expect(await screen.findByRole('button', { name: 'Bluepeak Systems' }, LOADED)).toBeVisible();
    expect(screen.getAllByTestId('graph-entity')).toHaveLength(3);

    // when the company is selected
    await user.click(screen.getByRole('button', { name: 'Bluepeak Systems' }));

    // then its neighbours, its fact with the sentence and a link opening the document at it show
    const panel = await screen.findByTestId('entity-panel', {}, LOADED);
    expect(await within(panel).findByText('also Bluepeak', { exact: false })).toBeVisible();
    expect(within(panel).getByRole('button', { name: 'Lyon' })).toBeVisible();
    const fact = within(panel).getByTestId('entity-fact');
    expect(fact).toHaveTextContent('Bluepeak Systems is headquartered in Lyon');
    expect(within(fact).getByText('Bluepeak Systems is headquartered in Lyon.')).toBeVisible();
    expect(within(fact).getByRole('link', { name: 'firms.txt' })).toHaveAttribute(
      'href',
      '/documents/42?chunk=0&start=0&end=42',
    );
  });

  it('says when a search matches no entity', async () => {
    // given
    const fetchMock = fakeApi();
    const { user } = renderPage();
    await screen.findByRole('button', { name: 'Lyon' }, LOADED);

    // when
    await user.type(screen.getByRole('searchbox', { name: 'Entity' }), 'nobody');
    await user.click(screen.getByRole('button', { name: 'Search' }));

    // then
    expect(await screen.findByText('No entity matches “nobody”', {}, LOADED)).toBeVisible();
    expect(fetchMock).toHaveBeenCalledWith(
      expect.stringContaining('/api/v1/collections/5/graph/?q=nobody'),
      expect.anything(),
    );
  });
});
