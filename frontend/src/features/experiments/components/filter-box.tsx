/**
 * The run filter: a query like `metrics.val_loss < 2 and params.optim.lr > 1e-4`, applied on
 * Enter. When the server cannot parse it, its message shows under the box with a caret under
 * the character it stopped at, and the text cursor is put there.
 */
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';

import { Button } from '../../../components/ui/button';
import { parseFilterError } from '../utils/filter-error';
import styles from './experiments.module.css';

interface FilterBoxProps {
  /** The filter the table shows now. */
  value: string;
  onApply: (filter: string) => void;
  /** The server's complaint about `value`, if it had one. */
  error: string | null;
}

export function FilterBox({ value, onApply, error }: FilterBoxProps) {
  const [draft, setDraft] = useState(value);
  const input = useRef<HTMLInputElement>(null);
  const errorId = useId();
  const parsed = error === null ? null : parseFilterError(error, value.length);

  // A filter changed elsewhere (back button, a link) replaces what was typed.
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setDraft(value);
  }

  useEffect(() => {
    if (parsed?.offset == null || input.current === null) return;
    input.current.focus();
    input.current.setSelectionRange(parsed.offset, parsed.offset);
  }, [parsed?.offset, error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(draft.trim());
  }

  return (
    <form className={styles.filter} onSubmit={submit} role="search" aria-label="Filter runs">
      <div className={styles.filterRow}>
        <input
          ref={input}
          className={styles.filterInput}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          placeholder="metrics.val_loss < 2 and params.optim.lr >= 1e-4"
          aria-label="Filter"
          aria-invalid={error !== null}
          aria-describedby={error !== null ? errorId : undefined}
          spellCheck={false}
          autoComplete="off"
        />
        <Button type="submit" size="small">
          Apply
        </Button>
        {value !== '' && (
          <Button size="small" variant="ghost" onClick={() => onApply('')}>
            Clear
          </Button>
        )}
      </div>
      {parsed && (
        <div id={errorId} role="alert" className={styles.filterError} data-testid="filter-error">
          <p>{parsed.message}</p>
          {parsed.offset !== null && (
            <pre aria-hidden="true" data-testid="filter-error-caret">
              {value}
              {'\n'}
              {' '.repeat(parsed.offset)}^
            </pre>
          )}
          {parsed.offset !== null && (
            <p className="visually-hidden">At character {parsed.offset + 1}.</p>
          )}
        </div>
      )}
    </form>
  );
}
