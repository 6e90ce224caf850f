/** A collection's documents: name, format, size, status (with the error), chunks, and Delete. */
import { Button } from '../../../components/ui/button';
import { formatDateTime } from '../../../lib/format';
import { formatBytes } from '../../datasets/utils/format-bytes';
import type { RagDocument } from '../api/get-documents';
import { DocumentStatusBadge } from './document-status-badge';
import styles from './documents.module.css';

interface DocumentsTableProps {
  documents: readonly RagDocument[];
  highlightId: number | null;
  onDelete: (document: RagDocument) => void;
}

export function DocumentsTable({ documents, highlightId, onDelete }: DocumentsTableProps) {
  return (
    <div className={styles.tableWrap}>
      <table className={styles.table}>
        <thead>
          <tr>
            <th scope="col">Document</th>
            <th scope="col">Status</th>
            <th scope="col" className={styles.numeric}>
              Chunks
            </th>
            <th scope="col" className={styles.numeric}>
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
              className={document.id === highlightId ? styles.selectedRow : undefined}
            >
              <td className={styles.nameCell}>
                {document.name} <span className={styles.muted}>{document.format}</span>
              </td>
              <td>
                <DocumentStatusBadge status={document.status} />
                {document.status === 'failed' && document.error && (
                  <p className={styles.errorText}>{document.error}</p>
                )}
              </td>
              <td className={styles.numeric}>{document.chunk_count.toLocaleString()}</td>
              <td className={styles.numeric}>{formatBytes(document.size_bytes)}</td>
              <td>
                <time dateTime={document.created_at}>{formatDateTime(document.created_at)}</time>
              </td>
              <td className={styles.actionsCell}>
                <Button size="small" variant="ghost" onClick={() => onDelete(document)}>
                  Delete
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
