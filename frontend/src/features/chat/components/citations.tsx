/**
 * The sources under a reply. "Sources" lists the excerpts its text cites (`[1]`), one line each
 * (number, document, part, score, and the sentences used when the knowledge graph found it)
 * opening to the details and a link opening the document at that part (and sentence); excerpts
 * the model was given but did not cite are folded away under their own label, so the list
 * never claims a source the text does not use.
 */
import { Link } from 'react-router';

import { documentPlaceHref } from '../../../lib/document-place';
import type { Citation } from '../utils/chat-stream';
import { splitSources } from '../utils/cited-sources';
import styles from './chat.module.css';

/** The document at the cited part, with the first sentence used marked when the graph found it. */
function citationHref(citation: Citation): string {
  const sentence = citation.sentences?.[0];
  return documentPlaceHref({
    documentId: citation.document_id,
    chunkIndex: citation.chunk_index,
    start: sentence?.start,
    end: sentence?.end,
  });
}

function SourceItem({ citation, testId }: { citation: Citation; testId: string }) {
  return (
    <li>
      <details data-testid={testId} className={styles.citation}>
        <summary>
          <span className={styles.citationNumber}>[{citation.source}]</span>{' '}
          {citation.document_name} · part {citation.chunk_index + 1} ·{' '}
          <span className={styles.score}>score {citation.score.toFixed(3)}</span>
          {citation.sentences?.map((sentence) => (
            <q
              key={sentence.start}
              className={styles.citationSentence}
              data-testid="citation-sentence"
            >
              {sentence.text}
            </q>
          ))}
        </summary>
        <dl className={styles.citationDetail}>
          <div>
            <dt>Document</dt>
            <dd>
              <Link to={citationHref(citation)}>{citation.document_name}</Link>
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
  );
}

function key(citation: Citation): string {
  return `${citation.source}:${citation.document_id}:${citation.chunk_index}`;
}

export function Citations({
  content,
  citations,
}: {
  content: string;
  citations: readonly Citation[];
}) {
  if (citations.length === 0) return null;
  const { cited, uncited } = splitSources(content, citations);
  return (
    <section className={styles.citations} aria-label="Sources">
      {cited.length > 0 && (
        <>
          <h4 className={styles.citationsTitle}>Sources</h4>
          <ol>
            {cited.map((citation) => (
              <SourceItem key={key(citation)} citation={citation} testId="citation" />
            ))}
          </ol>
        </>
      )}
      {uncited.length > 0 && (
        <details className={styles.uncited} data-testid="uncited-sources">
          <summary className={styles.citationsTitle}>
            {cited.length > 0 ? 'Also given, not cited' : 'Document excerpts given, none cited'} (
            {uncited.length})
          </summary>
          <ol>
            {uncited.map((citation) => (
              <SourceItem key={key(citation)} citation={citation} testId="uncited-source" />
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}
