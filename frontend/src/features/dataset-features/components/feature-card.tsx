/**
 * One feature's statistics: how many records have it and how many miss it, min, mean, max,
 * the median and the 5th to 95th percentiles, its histogram, and its most common values.
 */
import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import terms from '../../../components/term-list.module.css';
import { formatChartValue } from '../../../components/ui/line-chart';
import type { FeatureDefinition } from '../../../lib/api/get-feature-groups';
import type { FeatureStatistics } from '../api/types';
import styles from './features.module.css';
import { Histogram } from './histogram';

function number(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : formatChartValue(value);
}

export function FeatureCard({
  name,
  stats,
  definition,
}: {
  name: string;
  stats: FeatureStatistics;
  definition?: FeatureDefinition;
}) {
  return (
    <article className={card.card} data-testid="feature-card" aria-label={`Feature ${name}`}>
      <header className={card.header}>
        <h3>{name}</h3>
        {definition && (
          <span className={muted.small}>
            {definition.dtype} · v{definition.version}
          </span>
        )}
      </header>
      {definition?.description && <p className={muted.small}>{definition.description}</p>}
      <dl className={`${terms.list} ${terms.figures} ${terms.tight}`}>
        <div>
          <dt>Records</dt>
          <dd>{stats.count.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Missing</dt>
          <dd>{stats.missing.toLocaleString()}</dd>
        </div>
        {stats.min !== null && (
          <>
            <div>
              <dt>Min</dt>
              <dd>{number(stats.min)}</dd>
            </div>
            <div>
              <dt>Mean</dt>
              <dd>{number(stats.mean)}</dd>
            </div>
            <div>
              <dt>Max</dt>
              <dd>{number(stats.max)}</dd>
            </div>
          </>
        )}
      </dl>
      {stats.quantiles && (
        <p className={muted.small}>
          Median {number(stats.quantiles.p50)} · middle half {number(stats.quantiles.p25)} to{' '}
          {number(stats.quantiles.p75)} · 90% within {number(stats.quantiles.p5)} to{' '}
          {number(stats.quantiles.p95)}
        </p>
      )}
      {stats.histogram && (
        <Histogram name={name} edges={stats.histogram.edges} counts={stats.histogram.counts} />
      )}
      {stats.top.length > 0 && (
        <div>
          <p className={muted.small}>Most common</p>
          <ol className={styles.top} data-testid={`top-${name}`}>
            {stats.top.map((item) => (
              <li key={String(item.value)}>
                {String(item.value)}: {item.count.toLocaleString()}
              </li>
            ))}
          </ol>
        </div>
      )}
    </article>
  );
}
