/**
 * Usage charts of one model version (or, for staff, the whole site) over hour or day buckets:
 * requests and errors, tokens, latency and time-to-first-token percentiles, and the share of
 * thumbs up and of arena wins. The percentiles come from the server's rollup histograms.
 */
import { useState } from 'react';

import { QueryState } from '../../../components/query-state';
import { CHART_COLORS, type ChartData, LineChart } from '../../../components/ui/line-chart';
import { ToggleGroup } from '../../../components/ui/toggle-group';
import {
  type Granularity,
  type MonitoringSeries,
  useMonitoringSeries,
} from '../api/get-monitoring-series';
import styles from './monitoring.module.css';

const GRANULARITIES = [
  { value: 'hour', label: 'Hourly (7 days)' },
  { value: 'day', label: 'Daily (90 days)' },
] as const;

interface ChartSpec {
  title: string;
  yLabel: string;
  series: readonly { name: string; label: string }[];
  percent?: boolean;
}

const CHARTS: readonly ChartSpec[] = [
  {
    title: 'Requests',
    yLabel: 'requests',
    series: [
      { name: 'requests', label: 'requests' },
      { name: 'errors', label: 'errors' },
    ],
  },
  {
    title: 'Tokens',
    yLabel: 'tokens',
    series: [
      { name: 'prompt_tokens', label: 'prompt' },
      { name: 'completion_tokens', label: 'completion' },
    ],
  },
  {
    title: 'Latency',
    yLabel: 'ms',
    series: [
      { name: 'latency_p50_ms', label: 'p50 to last token' },
      { name: 'latency_p95_ms', label: 'p95 to last token' },
      { name: 'ttft_p95_ms', label: 'p95 to first token' },
    ],
  },
  {
    title: 'Errors, feedback and arena',
    yLabel: '%',
    percent: true,
    series: [
      { name: 'error_rate', label: 'error rate' },
      { name: 'feedback_ratio', label: 'thumbs up' },
      { name: 'arena_win_rate', label: 'arena wins' },
    ],
  },
];

function chartData(data: MonitoringSeries, spec: ChartSpec): ChartData {
  const xs = data.buckets.map((bucket) => Date.parse(bucket) / 1000);
  const ys = spec.series.map(({ name }) =>
    (data.series[name] ?? []).map((value) =>
      value === null ? null : spec.percent ? value * 100 : value,
    ),
  );
  return [xs, ...ys];
}

export function MonitoringCharts({ versionId }: { versionId: number | null }) {
  const [granularity, setGranularity] = useState<Granularity>('hour');
  const query = useMonitoringSeries(versionId, granularity);
  return (
    <section aria-label="Usage charts">
      <ToggleGroup
        label="Bucket size"
        options={GRANULARITIES}
        value={granularity}
        onValueChange={setGranularity}
        data-testid="granularity"
      />
      <QueryState query={query} loading="Loading usage…" failure="Could not load the usage.">
        {query.data && (
          <div className={styles.charts}>
            {CHARTS.map((spec) => (
              <LineChart
                key={spec.title}
                title={spec.title}
                xLabel={granularity === 'hour' ? 'hour' : 'day'}
                yLabel={spec.yLabel}
                timeAxis
                series={spec.series.map(({ label }, index) => ({
                  label,
                  color: CHART_COLORS[index % CHART_COLORS.length] ?? '#2f5bd3',
                }))}
                data={chartData(query.data, spec)}
                emptyText="No traffic in this range."
                data-testid={`chart-${spec.title}`}
              />
            ))}
          </div>
        )}
      </QueryState>
    </section>
  );
}
