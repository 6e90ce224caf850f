/**
 * The sources a reply was given: one line per cited chunk (number, document, part, score), each
 * opening to the details and a link to the document's collection.
 */
import { Link } from 'react-router';

import type { Citation } from '../utils/chat-stream';
import styles from './chat.module.css';

export function Citations({ citations }: { citations: readonly Citation[] }) {
  if (citations.length === 0) return null;
  return (
    <section className={styles.citations} aria-label="Sources">
      <h4 className={styles.citationsTitle}>Sources</h4>
      <ol>
        {citations.map((citation) => (
          <li key={`${citation.source}:${citation.document_id}:${citation.chunk_index}`}>
            <details data-testid="citation" className={styles.citation}>
              <summary>
                <span className={styles.citationNumber}>[{citation.source}]</span>{' '}
                {citation.document_name} · part {citation.chunk_index + 1} ·{' '}
                <span className={styles.score}>score {citation.score.toFixed(3)}</span>
              </summary>
              <dl className={styles.citationDetail}>
                <div>
                  <dt>Document</dt>
                  <dd>
                    <Link to={`/documents?document=${citation.document_id}`}>
                      {citation.document_name}
                    </Link>
                  </dd>
                </div>
                <div>
                  <dt>Chunk</dt>
                  <dd>{citation.chunk_index + 1}</dd>
                </div>
                <div>
                  <dt>Relevance score</dt>
                  <dd>{citation.score}</dd>
                </div>
              </dl>
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}
