/**
 * Trait sliders beside a live preview of what they make: the system prompt, the sampling
 * defaults and the metric targets, asked of the server (`personalities/preview/`) once the
 * values have stopped changing for a moment. Used to create and to edit config personalities.
 */
import { useMemo } from 'react';

import muted from '../../../components/muted.module.css';
import termList from '../../../components/term-list.module.css';
import { Slider } from '../../../components/ui/slider';
import { metricLabel } from '../../../lib/personality-metrics';
import { type PreviewInput, usePersonalityPreview } from '../api/preview-personality';
import { useDebouncedValue } from '../hooks/use-debounced-value';
import { formatMetric, samplingLabel, traitLabel } from '../utils/metrics';
import styles from './personalities.module.css';

export const PREVIEW_DELAY_MS = 300;

interface TraitEditorProps {
  name: string;
  description: string;
  /** An archetype key ("sage") whose description is used when none is given. */
  archetype: string;
  /** The values set so far; traits missing here show the server's default. */
  traits: Readonly<Record<string, number>>;
  onTraitsChange: (traits: Record<string, number>) => void;
}

export function TraitEditor({
  name,
  description,
  archetype,
  traits,
  onTraitsChange,
}: TraitEditorProps) {
  // Compared as text, so an equal set of values never counts as a change.
  const settled = useDebouncedValue(
    JSON.stringify({ name, description, archetype, traits }),
    PREVIEW_DELAY_MS,
  );
  const input = useMemo(() => JSON.parse(settled) as PreviewInput, [settled]);
  const preview = usePersonalityPreview(input);
  // The preview names every trait the server knows, so sliders appear for all of them.
  const shown = { ...preview.data?.traits, ...traits };

  return (
    <div className={styles.columns}>
      <fieldset className={styles.sliders} aria-label="Traits">
        {Object.keys(shown).length === 0 && <p className={muted.small}>Loading traits…</p>}
        {Object.entries(shown).map(([trait, value]) => (
          <Slider
            key={trait}
            label={traitLabel(trait)}
            value={value}
            onValueChange={(next) => onTraitsChange({ ...shown, [trait]: next })}
          />
        ))}
      </fieldset>
      <section aria-label="Preview" className={styles.sliders} data-testid="personality-preview">
        <h3 className={styles.name}>System prompt</h3>
        {preview.isError && (
          <p role="alert" className={styles.error}>
            {preview.error.message}
          </p>
        )}
        {preview.data ? (
          <>
            <pre className={styles.prompt} data-testid="preview-prompt">
              {preview.data.system_prompt}
            </pre>
            <dl className={`${termList.list} ${termList.figures}`} data-testid="preview-sampling">
              {Object.entries(preview.data.generation_defaults).map(([key, value]) => (
                <div key={key}>
                  <dt>{samplingLabel(key)}</dt>
                  <dd>{String(value)}</dd>
                </div>
              ))}
            </dl>
            <details className={styles.metricsDetails}>
              <summary>Metric targets ({Object.keys(preview.data.target_ranges).length})</summary>
              <ul className={muted.small}>
                {Object.entries(preview.data.target_ranges).map(([metric, [low, high]]) => (
                  <li key={metric}>
                    {metricLabel(metric)}: {formatMetric(low ?? 0)} to {formatMetric(high ?? 0)}
                  </li>
                ))}
              </ul>
            </details>
          </>
        ) : (
          !preview.isError && (
            <p role="status" className={muted.small}>
              Preparing the preview…
            </p>
          )
        )}
        {preview.isFetching && preview.data && (
          <p role="status" className={muted.small}>
            Updating…
          </p>
        )}
      </section>
    </div>
  );
}
