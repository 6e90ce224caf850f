/**
 * The selected entity: its kind and other names, its neighbours (selecting one moves there),
 * and every fact about it with the sentence it was read from and a link opening the document there.
 */
import { Link } from 'react-router';

import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import stack from '../../../components/stack.module.css';
import { documentPlaceHref } from '../../../lib/document-place';
import { useEntity } from '../api/get-entity';
import styles from './knowledge.module.css';

interface EntityPanelProps {
  entityId: number;
  onSelect: (entityId: number) => void;
}

export function EntityPanel({ entityId, onSelect }: EntityPanelProps) {
  const entity = useEntity(entityId);
  const data = entity.data;
  return (
    <section className={card.card} aria-labelledby="entity-title" data-testid="entity-panel">
      <QueryState query={entity} loading="Loading the entity…" failure="Could not load it.">
        {data && (
          <>
            <h2 id="entity-title">{data.name}</h2>
            <p className={muted.small}>
              {data.label}
              {data.aliases.length > 0 && ` · also ${data.aliases.join(', ')}`}
            </p>
            {data.neighbours.length > 0 && (
              <div className={stack.stack}>
                <h3>Neighbours</h3>
                <ul className={styles.entities}>
                  {data.neighbours.map((neighbour) => (
                    <li key={neighbour.id}>
                      <button
                        type="button"
                        className={styles.entityButton}
                        onClick={() => onSelect(neighbour.id)}
                      >
                        {neighbour.name}
                      </button>
                    </li>
                  ))}
                </ul>
              </div>
            )}
            <div className={stack.stack}>
              <h3>Facts</h3>
              {data.edges.length === 0 ? (
                <p className={muted.small}>No relation to another entity was read yet.</p>
              ) : (
                <ul className={stack.list}>
                  {data.edges.map((edge) => (
                    <li key={edge.id} className={styles.fact} data-testid="entity-fact">
                      <strong>
                        {edge.subject_name} {edge.predicate} {edge.object_name}
                      </strong>
                      <blockquote className={styles.sentence}>{edge.sentence}</blockquote>
                      <span className={muted.small}>
                        <Link
                          to={documentPlaceHref({
                            documentId: edge.document_id,
                            chunkIndex: edge.chunk_index,
                            start: edge.sentence_start,
                            end: edge.sentence_end,
                          })}
                          title="Open the document at this sentence"
                        >
                          {edge.document_name}
                        </Link>
                        , part {edge.chunk_index + 1}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </>
        )}
      </QueryState>
    </section>
  );
}
