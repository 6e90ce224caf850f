/**
 * One collection: upload, its documents with status and chunk counts, search, and deletion;
 * uploading needs edit access and deleting delete access (its documents share its access).
 */
import { useState } from 'react';
import { Link } from 'react-router';

import { AccessBadge } from '../../../components/access-badge';
import buttonRow from '../../../components/button-row.module.css';
import loadError from '../../../components/load-error.module.css';
import muted from '../../../components/muted.module.css';
import section from '../../../components/section.module.css';
import { ShareDialog } from '../../../components/sharing/share-dialog';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { ConfirmDialog } from '../../../components/ui/dialog';
import { useToast } from '../../../components/ui/toast';
import { allows } from '../../../lib/access-actions';
import { useDeleteCollection } from '../api/delete-collection';
import { useDeleteDocument } from '../api/delete-document';
import type { Collection } from '../../../lib/api/get-collections';
import { type RagDocument, useDocuments } from '../api/get-documents';
import { DocumentsTable } from './documents-table';
import { SearchPanel } from './search-panel';
import { UploadDocuments } from './upload-documents';

interface CollectionDetailProps {
  collection: Collection;
  highlightDocumentId: number | null;
  onDeleted: () => void;
}

export function CollectionDetail({
  collection,
  highlightDocumentId,
  onDeleted,
}: CollectionDetailProps) {
  const documents = useDocuments(collection.id);
  const deleteDocument = useDeleteDocument();
  const deleteCollection = useDeleteCollection();
  const toast = useToast();
  const [deletingDocument, setDeletingDocument] = useState<RagDocument | null>(null);
  const [deletingCollection, setDeletingCollection] = useState(false);
  const list = documents.data?.results ?? [];
  const mayDelete = allows(collection.access_role, 'delete');

  return (
    <article className={section.detail} aria-labelledby="collection-title">
      <header className={section.header}>
        <div>
          <h2 id="collection-title">
            {collection.name} <AccessBadge accessRole={collection.access_role} />
          </h2>
          <p className={muted.small}>
            {collection.description && `${collection.description} · `}
            chunks of {collection.chunk_size} tokens, {collection.chunk_overlap} overlapping
          </p>
        </div>
        <div className={buttonRow.row}>
          <Link to={`/documents/collections/${collection.id}/graph`}>Knowledge graph</Link>
          <ShareDialog kind="collection" id={collection.id} />
          {mayDelete && (
            <Button
              variant="ghost"
              onClick={() => {
                deleteCollection.reset();
                setDeletingCollection(true);
              }}
            >
              Delete collection
            </Button>
          )}
        </div>
      </header>

      {allows(collection.access_role, 'edit') && (
        <UploadDocuments key={collection.id} collectionId={collection.id} />
      )}

      <section className={stack.stack} aria-labelledby="documents-title">
        <h3 id="documents-title" className={section.subheading}>
          Documents
        </h3>
        {documents.isPending ? (
          <p role="status" className={muted.small}>
            Loading documents…
          </p>
        ) : documents.isError ? (
          <div role="alert" className={loadError.box}>
            <p>Could not load the documents. {documents.error.message}</p>
            <Button size="small" onClick={() => void documents.refetch()}>
              Try again
            </Button>
          </div>
        ) : list.length === 0 ? (
          <p className={muted.small} data-testid="documents-empty">
            No documents yet.
            {allows(collection.access_role, 'edit') &&
              ' Upload some above; they are ready to search once embedded.'}
          </p>
        ) : (
          <DocumentsTable
            documents={list}
            highlightId={highlightDocumentId}
            onDelete={
              mayDelete
                ? (document) => {
                    deleteDocument.reset();
                    setDeletingDocument(document);
                  }
                : undefined
            }
          />
        )}
      </section>

      <SearchPanel collectionId={collection.id} />

      <ConfirmDialog
        open={deletingDocument !== null}
        onOpenChange={(open) => {
          if (!open) setDeletingDocument(null);
        }}
        title={`Delete “${deletingDocument?.name ?? ''}”?`}
        description="Its chunks are removed from retrieval. Answers that cited it keep their citations."
        confirmLabel="Delete document"
        pending={deleteDocument.isPending}
        error={deleteDocument.error?.message}
        onConfirm={() => {
          if (deletingDocument === null) return;
          deleteDocument.mutate(deletingDocument.id, {
            onSuccess: () => setDeletingDocument(null),
          });
        }}
      />
      <ConfirmDialog
        open={deletingCollection}
        onOpenChange={setDeletingCollection}
        title={`Delete “${collection.name}”?`}
        description={`All ${collection.document_count} documents and their chunks are removed. Conversations stop answering from it.`}
        confirmLabel="Delete collection"
        pending={deleteCollection.isPending}
        error={deleteCollection.error?.message}
        onConfirm={() =>
          deleteCollection.mutate(collection.id, {
            onSuccess: () => {
              toast.add({ title: `“${collection.name}” deleted` });
              setDeletingCollection(false);
              onDeleted();
            },
          })
        }
      />
    </article>
  );
}
