/**
 * A collection's documents: name (opening the document once it has parts to read), format,
 * size, status (with the error), chunks, what the knowledge graph read from each (or that it
 * named no entities), and Delete.
 */
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { formatDateTime } from '../../../lib/format';
import { documentPlaceHref } from '../../../lib/document-place';
import { formatBytes } from '../../../lib/format-bytes';
import { isReadingGraph, type RagDocument } from '../api/get-documents';
import { DocumentStatusBadge } from './document-status-badge';
import styles from './documents.module.css';

function graphSummary(document: RagDocument): string {
  if (document.status !== 'ready') return '–';
  if (isReadingGraph(document)) return 'Reading…';
  if (document.graph_status === 'failed') return 'Could not be read';
  if (document.graph_status === 'empty') return 'No entities found';
  const entities = `${document.entity_count} ${document.entity_count === 1 ? 'entity' : 'entities'}`;
  return `${entities}, ${document.relation_count} ${document.relation_count === 1 ? 'fact' : 'facts'}`;
}

interface DocumentsTableProps {
  documents: readonly RagDocument[];
  highlightId: number | null;
  /** Absent where the caller may not delete the collection's documents. */
  onDelete?: (document: RagDocument) => void;
}

export function DocumentsTable({ documents, highlightId, onDelete }: DocumentsTableProps) {
  return (
    <div className={table.wrap}>
      <table className={`${table.table} ${table.top}`}>
        <thead>
          <tr>
            <th scope="col">Document</th>
            <th scope="col">Status</th>
            <th scope="col" className={table.numeric}>
              Chunks
            </th>
            <th scope="col">Graph</th>
            <th scope="col" className={table.numeric}>
              Size
            </th>
            <th scope="col">Added</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {documents.map((document) => (
            <tr
              key={document.id}
              data-testid="document-row"
              className={document.id === highlightId ? table.selected : undefined}
            >
              <td className={styles.nameCell}>
                {document.chunk_count > 0 ? (
                  <Link to={documentPlaceHref({ documentId: document.id })}>{document.name}</Link>
                ) : (
                  document.name
                )}{' '}
                <span className={muted.small}>{document.format}</span>
              </td>
              <td>
                <DocumentStatusBadge status={document.status} />
                {document.status === 'failed' && document.error && (
                  <p className={styles.errorText}>{document.error}</p>
                )}
              </td>
              <td className={table.numeric}>{document.chunk_count.toLocaleString()}</td>
              <td data-testid="document-graph">{graphSummary(document)}</td>
              <td className={table.numeric}>{formatBytes(document.size_bytes)}</td>
              <td>
                <time dateTime={document.created_at}>{formatDateTime(document.created_at)}</time>
              </td>
              <td className={table.actions}>
                {onDelete && (
                  <Button size="small" variant="ghost" onClick={() => onDelete(document)}>
                    Delete
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
