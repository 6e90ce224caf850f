/**
 * Try retrieval: a query against this collection (or all of them), the mode (hybrid, vector,
 * text) and how many chunks, with each result's document, part, text and scores.
 */
import { type FormEvent, useState } from 'react';

import card from '../../../components/card.module.css';
import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import section from '../../../components/section.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { type SearchMode, useSearch } from '../api/search';
import styles from './documents.module.css';

function score(value: number | null): string {
  return value === null ? '–' : value.toFixed(3);
}

export function SearchPanel({ collectionId }: { collectionId: number }) {
  const search = useSearch();
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState<SearchMode>('hybrid');
  const [k, setK] = useState('5');
  const [everywhere, setEverywhere] = useState(false);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (query.trim() === '') return;
    search.mutate({
      query,
      mode,
      k: Math.min(50, Math.max(1, Number(k) || 5)),
      collection_ids: everywhere ? [] : [collectionId],
    });
  }

  return (
    <section className={card.card} aria-labelledby="search-title">
      <h3 id="search-title" className={section.subheading}>
        Try retrieval
      </h3>
      <form className={styles.searchForm} onSubmit={submit} role="search">
        <label className={styles.grow}>
          <span className="visually-hidden">Query</span>
          <input
            className={`${field.input} ${styles.input}`}
            type="search"
            value={query}
            placeholder="What would you ask?"
            onChange={(event) => setQuery(event.target.value)}
            data-testid="rag-search-input"
          />
        </label>
        <SelectField
          name="mode"
          label="Mode"
          value={mode}
          onValueChange={(value) => setMode(value as SearchMode)}
          options={[
            { value: 'hybrid', label: 'Hybrid' },
            { value: 'vector', label: 'Vector' },
            { value: 'text', label: 'Text' },
          ]}
        />
        <label className={`${field.field} ${field.small} ${styles.smallField}`}>
          <span>Results</span>
          <input
            className={`${field.input} ${styles.input}`}
            type="number"
            min={1}
            max={50}
            value={k}
            onChange={(event) => setK(event.target.value)}
          />
        </label>
        <label className={styles.checkbox}>
          <input
            type="checkbox"
            checked={everywhere}
            onChange={(event) => setEverywhere(event.target.checked)}
          />
          All collections
        </label>
        <Button type="submit" variant="primary" disabled={search.isPending || query.trim() === ''}>
          Search
        </Button>
      </form>
      {search.error && <FormError>{search.error.message}</FormError>}
      {search.data &&
        (search.data.results.length === 0 ? (
          <p className={muted.small}>No chunks matched. Are the documents ready?</p>
        ) : (
          <ol className={styles.results} data-testid="rag-results">
            {search.data.results.map((result) => (
              <li key={result.chunk_id} data-testid="rag-result">
                <div className={styles.resultHeader}>
                  <strong>{result.document_name}</strong>
                  <span className={muted.small}>part {result.chunk_index + 1}</span>
                  <span className={styles.scores}>
                    score {score(result.score)} · vector {score(result.vector_score)} · text{' '}
                    {score(result.text_score)}
                  </span>
                </div>
                <p className={styles.resultText}>{result.text}</p>
              </li>
            ))}
          </ol>
        ))}
    </section>
  );
}
