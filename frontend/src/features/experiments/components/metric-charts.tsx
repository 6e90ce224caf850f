/**
 * The live run's charts: loss with validation loss on one plot (the gap between them is the
 * first thing to look at), then perplexity, learning rate, throughput, and any other metric
 * the run logs, each titled in words with its unit. Each chart redraws only when its own
 * curves change.
 */
import { memo, useMemo } from 'react';

import { CHART_COLORS, LineChart } from '../../../components/ui/line-chart';
import { alignSeries, type Series } from '../utils/live-series';
import { metricHeading, metricLabel } from '../utils/metric-labels';
import styles from './experiments.module.css';

interface ChartSpec {
  id: string;
  title: string;
  /** One or two curves; the second is drawn dashed on the same axes. */
  keys: { key: string; label: string; dashed?: boolean }[];
  yLabel: string;
  logScale?: boolean;
  emptyText: string;
}

const STANDARD: readonly ChartSpec[] = [
  {
    id: 'loss',
    title: `Loss (${metricLabel('loss').unit})`,
    keys: [
      { key: 'loss', label: 'train' },
      { key: 'val_loss', label: 'validation', dashed: true },
    ],
    yLabel: 'cross-entropy',
    emptyText: 'The first loss arrives after a few steps.',
  },
  {
    id: 'perplexity',
    title: metricHeading('perplexity'),
    keys: [{ key: 'perplexity', label: 'perplexity' }],
    yLabel: 'perplexity',
    logScale: true,
    emptyText: 'Measured at each evaluation.',
  },
  {
    id: 'lr',
    title: metricHeading('lr'),
    keys: [{ key: 'lr', label: 'lr' }],
    yLabel: 'lr',
    emptyText: 'No learning rate logged yet.',
  },
  {
    id: 'tokens_per_s',
    title: metricHeading('tokens_per_s'),
    keys: [{ key: 'tokens_per_s', label: 'tokens/s' }],
    yLabel: 'tokens / s',
    emptyText: 'No throughput logged yet.',
  },
];

const STANDARD_KEYS: ReadonlySet<string> = new Set(
  STANDARD.flatMap((spec) => spec.keys.map((item) => item.key)),
);

export function chartSpecs(keys: readonly string[]): ChartSpec[] {
  const extra = keys
    .filter((key) => !STANDARD_KEYS.has(key))
    .map((key) => {
      const { title, unit } = metricLabel(key);
      return {
        id: key,
        title: metricHeading(key),
        keys: [{ key, label: title }],
        yLabel: unit || title,
        emptyText: 'No points yet.',
      };
    });
  return [...STANDARD, ...extra];
}

// Curves are separate props, so the memo compares each one and skips unchanged charts.
const SpecChart = memo(function SpecChart({
  spec,
  first,
  second,
}: {
  spec: ChartSpec;
  first: Series | undefined;
  second: Series | undefined;
}) {
  const data = useMemo(
    () => alignSeries(spec.keys.length > 1 ? [first, second] : [first]),
    [spec, first, second],
  );
  const series = useMemo(
    () =>
      spec.keys.map((item, index) => ({
        label: item.label,
        color: CHART_COLORS[index % CHART_COLORS.length] as string,
        dashed: item.dashed,
      })),
    [spec],
  );
  return (
    <LineChart
      title={spec.title}
      series={series}
      data={data}
      xLabel="step"
      yLabel={spec.yLabel}
      logScale={spec.logScale}
      emptyText={spec.emptyText}
      data-testid={`live-chart-${spec.id}`}
    />
  );
});

export function MetricCharts({
  series,
  keys,
}: {
  series: Readonly<Record<string, Series>>;
  keys: readonly string[];
}) {
  const specs = useMemo(() => chartSpecs(keys), [keys]);
  return (
    <div className={styles.charts}>
      {specs.map((spec) => (
        <SpecChart
          key={spec.id}
          spec={spec}
          first={series[spec.keys[0]?.key ?? '']}
          second={series[spec.keys[1]?.key ?? '']}
        />
      ))}
    </div>
  );
}
