/**
 * A collection's knowledge graph (`/documents/collections/:id/graph`): the entities its documents
 * name and the relations read between them, drawn and listed; search an entity to see its
 * neighbourhood, select one to read the sentences behind each of its facts.
 */
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';

import { EmptyState } from '../../../components/empty-state';
import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { useCollections } from '../../../lib/api/get-collections';
import { idParam } from '../../../lib/search-params';
import { useCollectionGraph } from '../api/get-collection-graph';
import { useGraphUpdates } from '../hooks/use-graph-updates';
import { EntityPanel } from './entity-panel';
import { GraphCanvas } from './graph-canvas';
import styles from './knowledge.module.css';

export function KnowledgeGraphPage({ collectionId }: { collectionId: number }) {
  useGraphUpdates(collectionId);
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const selectedId = idParam(params.get('entity'));
  const [draft, setDraft] = useState(search);
  const graph = useCollectionGraph(collectionId, search);
  const collections = useCollections();
  const collection = collections.data?.results.find((item) => item.id === collectionId);
  const nodes = graph.data?.nodes ?? [];
  const edges = graph.data?.edges ?? [];

  function update(next: { q?: string; entity?: number | null }) {
    const merged = new URLSearchParams(params);
    if (next.q !== undefined) {
      if (next.q.trim()) merged.set('q', next.q.trim());
      else merged.delete('q');
    }
    if (next.entity !== undefined) {
      if (next.entity === null) merged.delete('entity');
      else merged.set('entity', String(next.entity));
    }
    setParams(merged, { replace: true });
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    update({ q: draft, entity: null });
  }

  const select = (entityId: number) => update({ entity: entityId });

  return (
    <Page
      title={collection ? `Knowledge graph: ${collection.name}` : 'Knowledge graph'}
      lead="The people, places, organisations and other things your documents name, and what they say about each other."
      actions={<Link to={`/documents?collection=${collectionId}`}>Back to the documents</Link>}
    >
      <form className={styles.searchForm} onSubmit={submit} role="search">
        <label className={field.field}>
          <span className={field.label}>Entity</span>
          <input
            className={field.input}
            type="search"
            name="q"
            value={draft}
            placeholder="e.g. Marie Curie"
            onChange={(event) => setDraft(event.target.value)}
          />
        </label>
        <Button type="submit">Search</Button>
        {search && (
          <Button
            variant="ghost"
            onClick={() => {
              setDraft('');
              update({ q: '', entity: null });
            }}
          >
            Show the whole graph
          </Button>
        )}
      </form>
      <QueryState
        query={graph}
        loading="Loading the graph…"
        failure="Could not load the graph."
        isEmpty={nodes.length === 0}
        empty={
          <EmptyState
            title={search ? `No entity matches “${search}”` : 'This graph is empty'}
            description={
              search
                ? 'Try another name, or a shorter part of it.'
                : 'No entities were found in this collection’s documents yet. Documents are read for entities once embedded; text that names no people, places or organisations gives none.'
            }
            data-testid="graph-empty"
          />
        }
      >
        <div className={styles.layout}>
          <GraphCanvas nodes={nodes} edges={edges} selectedId={selectedId} onSelect={select} />
          <div className={stack.stack}>
            <section className={stack.stack} aria-labelledby="entities-title">
              <h2 id="entities-title">
                Entities <span className={muted.small}>({nodes.length})</span>
              </h2>
              <ul className={styles.entities}>
                {nodes.map((node) => (
                  <li key={node.id}>
                    <button
                      type="button"
                      className={styles.entityButton}
                      aria-pressed={node.id === selectedId}
                      onClick={() => select(node.id)}
                      data-testid="graph-entity"
                    >
                      {node.name}
                    </button>
                  </li>
                ))}
              </ul>
            </section>
            {selectedId !== null && (
              <EntityPanel key={selectedId} entityId={selectedId} onSelect={select} />
            )}
          </div>
        </div>
      </QueryState>
    </Page>
  );
}
