/**
 * What the preview found after one step: records in and out, and the first records kept. A
 * step the preview's time budget ran out in says so: its counts are only what it reached.
 */
import muted from '../../../components/muted.module.css';
import type { StepPreview as Preview } from '../api/types';
import styles from './recipes.module.css';

export function StepPreview({ preview }: { preview: Preview }) {
  return (
    <div data-testid="step-preview">
      <p className={muted.small}>
        Preview: {preview.records_in.toLocaleString()} in → {preview.records_out.toLocaleString()}{' '}
        out
      </p>
      {preview.stopped && (
        <p className={muted.small} role="status">
          Preview stopped after the time budget; showing what was reached.
        </p>
      )}
      {preview.records.length > 0 && (
        <ol className={styles.records}>
          {preview.records.map((record, index) => (
            <li key={index}>
              <pre>{JSON.stringify(record)}</pre>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
