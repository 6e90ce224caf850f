/**
 * What a version does to a model: its traits as a radar chart (config personalities), the
 * system prompt it adds and the sampling defaults it sets.
 */
import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import termList from '../../../components/term-list.module.css';
import { RadarChart } from '../../../components/ui/radar-chart';
import type { PersonalityVersion } from '../api/get-personality';
import { samplingLabel, traitLabel } from '../utils/metrics';
import styles from './personalities.module.css';

export function BehaviourPanel({ version }: { version: PersonalityVersion }) {
  const traits = Object.entries(version.traits);
  const sampling = Object.entries(version.generation_defaults);
  return (
    <div className={styles.columns}>
      {traits.length > 0 && (
        <section className={card.card} aria-label="Traits">
          <RadarChart
            title="Traits"
            axes={traits.map(([trait, value]) => ({ label: traitLabel(trait), value }))}
            data-testid="trait-radar"
          />
        </section>
      )}
      <section className={card.card} aria-labelledby="behaviour-title">
        <div className={card.header}>
          <h3 id="behaviour-title">What it gives a model</h3>
        </div>
        {version.system_prompt ? (
          <pre className={styles.prompt} data-testid="system-prompt">
            {version.system_prompt}
          </pre>
        ) : (
          <p className={muted.small}>No system prompt yet.</p>
        )}
        {sampling.length > 0 && (
          <dl className={`${termList.list} ${termList.figures}`} aria-label="Sampling defaults">
            {sampling.map(([key, value]) => (
              <div key={key}>
                <dt>{samplingLabel(key)}</dt>
                <dd>{String(value)}</dd>
              </div>
            ))}
          </dl>
        )}
      </section>
    </div>
  );
}
