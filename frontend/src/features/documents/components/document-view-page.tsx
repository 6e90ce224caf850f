/**
 * A document read at one place (`/documents/:id?chunk=&start=&end=`), where citations and graph
 * facts link: the part (chunk) they were read from, the sentence between `start` and `end`
 * marked and scrolled into view, and the parts before and after it one click away.
 */
import { useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';

import card from '../../../components/card.module.css';
import linkButton from '../../../components/link-button.module.css';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import { documentPlaceHref } from '../../../lib/document-place';
import { indexParam } from '../../../lib/search-params';
import { type DocumentChunk, useDocumentChunk } from '../api/get-document-chunk';
import styles from './document-view.module.css';

interface Sentence {
  start: number;
  end: number;
}

/** The sentence's offsets, if they name a non-empty span inside `text`. */
function sentenceIn(text: string, start: number | null, end: number | null): Sentence | null {
  if (start === null || end === null || start >= end || end > text.length) return null;
  return { start, end };
}

function ChunkText({ chunk, sentence }: { chunk: DocumentChunk; sentence: Sentence | null }) {
  const mark = useRef<HTMLElement>(null);
  const where = sentence ? `${chunk.index}:${sentence.start}:${sentence.end}` : null;
  useEffect(() => {
    // Optional call: jsdom, where the page is also rendered, has no layout to scroll.
    if (where !== null) mark.current?.scrollIntoView?.({ block: 'center' });
  }, [where]);
  if (!sentence) {
    return (
      <p className={styles.text} data-testid="document-chunk">
        {chunk.text}
      </p>
    );
  }
  return (
    <p className={styles.text} data-testid="document-chunk">
      {chunk.text.slice(0, sentence.start)}
      <mark ref={mark} className={styles.mark}>
        {chunk.text.slice(sentence.start, sentence.end)}
      </mark>
      {chunk.text.slice(sentence.end)}
    </p>
  );
}

function PartLink({ chunk, index, label }: { chunk: DocumentChunk; index: number; label: string }) {
  return (
    <Link
      className={linkButton.linkButton}
      to={documentPlaceHref({ documentId: chunk.document_id, chunkIndex: index })}
    >
      {label}
    </Link>
  );
}

export function DocumentViewPage({ documentId }: { documentId: number }) {
  const [params] = useSearchParams();
  const chunkIndex = indexParam(params.get('chunk')) ?? 0;
  const query = useDocumentChunk(documentId, chunkIndex);
  const chunk = query.data;
  // The mark belongs to the part asked for, not to the one kept on screen while it loads.
  const sentence =
    chunk && chunk.index === chunkIndex
      ? sentenceIn(chunk.text, indexParam(params.get('start')), indexParam(params.get('end')))
      : null;
  return (
    <Page
      title={chunk?.document_name ?? 'Document'}
      lead={chunk && `Part ${chunk.index + 1} of ${chunk.chunk_count}`}
      actions={<Link to={`/documents?document=${documentId}`}>Back to the documents</Link>}
    >
      <QueryState
        query={query}
        loading="Loading the document…"
        failure="Could not open this part of the document."
      >
        {chunk && (
          <article className={card.card} aria-label={`Part ${chunk.index + 1}`}>
            <ChunkText chunk={chunk} sentence={sentence} />
            <nav className={styles.parts} aria-label="Parts of the document">
              {chunk.previous_index === null ? (
                <span className={muted.small}>Start of the document</span>
              ) : (
                <PartLink chunk={chunk} index={chunk.previous_index} label="← Previous part" />
              )}
              {chunk.next_index === null ? (
                <span className={muted.small}>End of the document</span>
              ) : (
                <PartLink chunk={chunk} index={chunk.next_index} label="Next part →" />
              )}
            </nav>
          </article>
        )}
      </QueryState>
    </Page>
  );
}
