/**
 * Runs side by side (`/experiments/compare?ids=1,2,3`): the params in a table with the ones
 * that differ highlighted (and, by default, only those), then for every metric the runs'
 * curves overlaid on one chart with a last/min/max table under it.
 */
import { useMemo, useState } from 'react';
import { Link } from 'react-router';

import { EmptyState } from '../../../components/empty-state';
import loadError from '../../../components/load-error.module.css';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import stack from '../../../components/stack.module.css';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { CHART_COLORS, formatChartValue, LineChart } from '../../../components/ui/line-chart';
import { type RunComparison, type RunCurve, useRunComparison } from '../api/compare-runs';
import { alignSeries } from '../utils/live-series';
import { metricHeading, metricLabel } from '../utils/metric-labels';
import { formatParam } from '../utils/run-columns';
import styles from './experiments.module.css';

function runColor(index: number): string {
  return CHART_COLORS[index % CHART_COLORS.length] as string;
}

function ParamsDiff({ comparison }: { comparison: RunComparison }) {
  const [onlyDiffering, setOnlyDiffering] = useState(true);
  const rows = onlyDiffering
    ? comparison.params.filter((param) => param.differs)
    : comparison.params;
  return (
    <section className={stack.stack} aria-labelledby="params-title">
      <header className={styles.sectionHeader}>
        <h2 id="params-title" className={styles.sectionTitle}>
          Params
        </h2>
        <label className={styles.checkbox}>
          <input
            type="checkbox"
            checked={onlyDiffering}
            onChange={(event) => setOnlyDiffering(event.target.checked)}
          />
          Only differences
        </label>
      </header>
      {rows.length === 0 ? (
        <p className={muted.text}>
          {comparison.params.length === 0
            ? 'These runs have no params.'
            : 'Every param is the same in these runs.'}
        </p>
      ) : (
        <div className={table.wrap}>
          <table className={table.table} data-testid="params-diff">
            <caption className="visually-hidden">Params of each run</caption>
            <thead>
              <tr>
                <th scope="col">Param</th>
                {comparison.runs.map((run) => (
                  <th key={run.id} scope="col">
                    {run.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((param) => (
                <tr
                  key={param.key}
                  className={param.differs ? styles.differs : undefined}
                  data-differs={param.differs || undefined}
                >
                  <th scope="row">
                    <code>{param.key}</code>
                  </th>
                  {param.values.map((value, index) => (
                    <td key={comparison.runs[index]?.id ?? index}>{formatParam(value)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function MetricComparison({
  metricKey,
  curves,
  runs,
}: {
  metricKey: string;
  curves: readonly RunCurve[];
  runs: RunComparison['runs'];
}) {
  const data = useMemo(() => alignSeries(curves.map((curve) => curve?.series ?? null)), [curves]);
  const series = useMemo(
    () => runs.map((run, index) => ({ label: run.name, color: runColor(index) })),
    [runs],
  );
  return (
    <div className={styles.metricCompare}>
      <LineChart
        title={metricHeading(metricKey)}
        series={series}
        data={data}
        xLabel="step"
        yLabel={metricLabel(metricKey).unit || metricLabel(metricKey).title}
        data-testid={`compare-chart-${metricKey}`}
      />
      <table className={styles.summaryTable}>
        <caption className="visually-hidden">{metricKey} per run</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col" className={table.numeric}>
              Last
            </th>
            <th scope="col" className={table.numeric}>
              Min
            </th>
            <th scope="col" className={table.numeric}>
              Max
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run, index) => {
            const summary = curves[index]?.summary;
            return (
              <tr key={run.id}>
                <th scope="row">
                  <span
                    className={styles.swatch}
                    style={{ background: runColor(index) }}
                    aria-hidden="true"
                  />
                  {run.name}
                </th>
                <td className={table.numeric}>{summary ? formatChartValue(summary.last) : '–'}</td>
                <td className={table.numeric}>{summary ? formatChartValue(summary.min) : '–'}</td>
                <td className={table.numeric}>{summary ? formatChartValue(summary.max) : '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function CompareView({ ids }: { ids: readonly number[] }) {
  const comparison = useRunComparison(ids);
  const back = <Link to="/experiments">Back to experiments</Link>;

  if (ids.length === 0) {
    return (
      <Page title="Compare runs" lead={back}>
        <EmptyState
          title="No runs picked"
          description="Tick two or more runs in an experiment's table, then press Compare."
        />
      </Page>
    );
  }
  if (comparison.isPending) {
    return (
      <Page title="Compare runs" lead={back}>
        <p role="status" className={muted.text}>
          Loading the runs…
        </p>
      </Page>
    );
  }
  if (comparison.isError) {
    return (
      <Page title="Compare runs" lead={back}>
        <div role="alert" className={loadError.box}>
          <p>Could not compare these runs. {comparison.error.message}</p>
          <Button size="small" onClick={() => void comparison.refetch()}>
            Try again
          </Button>
        </div>
      </Page>
    );
  }

  const { runs, metrics } = comparison.data;
  return (
    <Page
      title={`Compare ${runs.length} runs`}
      lead={
        <>
          {back} ·{' '}
          {runs.map((run, index) => (
            <span key={run.id}>
              {index > 0 && ', '}
              <Link to={`/experiments/runs/${run.id}`}>{run.name}</Link>
            </span>
          ))}
        </>
      }
    >
      <ParamsDiff comparison={comparison.data} />
      <section className={stack.stack} aria-labelledby="metrics-title">
        <h2 id="metrics-title" className={styles.sectionTitle}>
          Metrics
        </h2>
        {metrics.length === 0 ? (
          <p className={muted.text}>These runs have logged no metrics yet.</p>
        ) : (
          <div className={styles.charts}>
            {metrics.map((metric) => (
              <MetricComparison
                key={metric.key}
                metricKey={metric.key}
                curves={metric.runs as RunCurve[]}
                runs={runs}
              />
            ))}
          </div>
        )}
      </section>
    </Page>
  );
}
