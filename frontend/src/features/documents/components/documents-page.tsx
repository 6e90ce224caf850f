/**
 * The Documents page: collections of documents that conversations answer from. The selection
 * lives in the URL (`?collection=`, or `?document=` from a chat citation, which opens the
 * document's collection and marks its row).
 */
import { useState } from 'react';
import { useSearchParams } from 'react-router';

import { AccessBadge } from '../../../components/access-badge';
import { EmptyState } from '../../../components/empty-state';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import { type Scope, ScopeFilter, scopeQuery } from '../../../components/scope-filter';
import { Button } from '../../../components/ui/button';
import { MasterDetail } from '../../../components/ui/master-detail';
import { idParam } from '../../../lib/search-params';
import { useDocument } from '../api/get-document';
import { useCollections } from '../../../lib/api/get-collections';
import { useDocumentUpdates } from '../hooks/use-document-updates';
import { CollectionDetail } from './collection-detail';
import { CreateCollectionDialog } from './create-collection-dialog';

export function DocumentsPage() {
  useDocumentUpdates();
  const [scope, setScope] = useState<Scope>('all');
  const collections = useCollections(scopeQuery(scope));
  const [params, setParams] = useSearchParams();
  const [createOpen, setCreateOpen] = useState(false);
  const documentId = idParam(params.get('document'));
  const cited = useDocument(documentId);

  const list = collections.data?.results ?? [];
  const selectedId = idParam(params.get('collection')) ?? cited.data?.collection_id ?? null;
  const selected = list.find((collection) => collection.id === selectedId) ?? list[0] ?? null;

  function select(collectionId: number | null) {
    const next = new URLSearchParams();
    if (collectionId !== null) next.set('collection', String(collectionId));
    setParams(next, { replace: true });
  }

  const newButton = (
    <Button variant="primary" onClick={() => setCreateOpen(true)}>
      New collection
    </Button>
  );

  return (
    <Page
      title="Documents"
      lead="Collections of your documents. Attach one to a conversation and answers cite the passages they used."
      actions={newButton}
    >
      <ScopeFilter label="Which collections" value={scope} onChange={setScope} />
      <QueryState
        query={collections}
        loading="Loading collections…"
        failure="Could not load your collections."
        statusClassName={muted.small}
        isEmpty={list.length === 0}
        empty={
          <EmptyState
            title={scope === 'shared' ? 'Nothing shared with you yet' : 'No collections yet'}
            description="Create a collection, then upload text, Markdown, HTML or PDF documents for chats to answer from."
            action={newButton}
            data-testid="collections-empty"
          />
        }
      >
        <MasterDetail
          label="Collections"
          items={list}
          selectedId={selected?.id ?? null}
          onSelect={(id) => select(id)}
          meta={(collection) => (
            <>
              {collection.document_count}{' '}
              {collection.document_count === 1 ? 'document' : 'documents'}{' '}
              <AccessBadge accessRole={collection.access_role} />
            </>
          )}
          itemTestId="collection-item"
        >
          {selected && (
            <CollectionDetail
              key={selected.id}
              collection={selected}
              highlightDocumentId={documentId}
              onDeleted={() => select(null)}
            />
          )}
        </MasterDetail>
      </QueryState>
      <CreateCollectionDialog
        open={createOpen}
        onOpenChange={setCreateOpen}
        onCreated={(collection) => {
          setCreateOpen(false);
          select(collection.id);
        }}
      />
    </Page>
  );
}
