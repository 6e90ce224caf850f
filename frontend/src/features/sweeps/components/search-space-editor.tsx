/** The search space as editable rows: a parameter's name, type, and range or choices. */
import { Button } from '../../../components/ui/button';
import type { SpaceRow } from '../utils/space-rows';
import styles from './sweeps.module.css';

interface SearchSpaceEditorProps {
  rows: SpaceRow[];
  onChange: (rows: SpaceRow[]) => void;
}

export function SearchSpaceEditor({ rows, onChange }: SearchSpaceEditorProps) {
  function update(index: number, change: Partial<SpaceRow>) {
    onChange(rows.map((row, at) => (at === index ? { ...row, ...change } : row)));
  }
  return (
    <fieldset data-testid="search-space">
      <legend>Search space</legend>
      {rows.map((row, index) => (
        <div key={index} className={styles.spaceRow}>
          <label>
            Option
            <input
              aria-label={`Parameter ${index + 1} name`}
              value={row.name}
              placeholder="optim.lr"
              onChange={(event) => update(index, { name: event.target.value })}
            />
          </label>
          <label>
            Type
            <select
              aria-label={`Parameter ${index + 1} type`}
              value={row.type}
              onChange={(event) => update(index, { type: event.target.value as SpaceRow['type'] })}
            >
              <option value="float">float</option>
              <option value="int">int</option>
              <option value="categorical">categorical</option>
            </select>
          </label>
          {row.type === 'categorical' ? (
            <label style={{ gridColumn: 'span 3' }}>
              Choices
              <input
                aria-label={`Parameter ${index + 1} choices`}
                value={row.choices}
                placeholder="cosine, constant"
                onChange={(event) => update(index, { choices: event.target.value })}
              />
            </label>
          ) : (
            <>
              <label>
                Low
                <input
                  aria-label={`Parameter ${index + 1} low`}
                  value={row.low}
                  inputMode="decimal"
                  onChange={(event) => update(index, { low: event.target.value })}
                />
              </label>
              <label>
                High
                <input
                  aria-label={`Parameter ${index + 1} high`}
                  value={row.high}
                  inputMode="decimal"
                  onChange={(event) => update(index, { high: event.target.value })}
                />
              </label>
              <label>
                <input
                  type="checkbox"
                  aria-label={`Parameter ${index + 1} log scale`}
                  checked={row.log}
                  onChange={(event) => update(index, { log: event.target.checked })}
                />{' '}
                log
              </label>
            </>
          )}
          <span />
          <Button
            size="small"
            variant="ghost"
            onClick={() => onChange(rows.filter((_, at) => at !== index))}
          >
            Remove
          </Button>
        </div>
      ))}
      <Button
        size="small"
        onClick={() =>
          onChange([
            ...rows,
            { name: '', type: 'float', low: '', high: '', log: false, choices: '' },
          ])
        }
      >
        Add parameter
      </Button>
    </fieldset>
  );
}
