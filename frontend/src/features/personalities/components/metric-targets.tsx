/**
 * Every metric's target range next to what was measured (the mean and spread of the texts
 * last scored on this page), and whether the measurement falls inside. Metrics without a
 * target (a neural personality has none) show what was measured only.
 */
import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import table from '../../../components/table.module.css';
import { metricLabel } from '../../../lib/personality-metrics';
import type { MetricProfile } from '../api/score-personality';
import { formatMetric, rangeFit } from '../utils/metrics';
import styles from './personalities.module.css';

interface MetricTargetsProps {
  targets: Readonly<Record<string, readonly [number, number]>>;
  measured: MetricProfile | null;
}

const FIT_TEXT = { below: 'below', within: 'within', above: 'above' } as const;

export function MetricTargets({ targets, measured }: MetricTargetsProps) {
  const names = [...new Set([...Object.keys(targets), ...Object.keys(measured?.mean ?? {})])];
  return (
    <section className={card.card} aria-labelledby="targets-title">
      <div className={card.header}>
        <h3 id="targets-title">Metric targets and measured</h3>
      </div>
      {measured === null && (
        <p className={muted.small}>
          Score texts below (replies of a model, or its examples) to measure them against these
          targets.
        </p>
      )}
      {names.length === 0 ? (
        <p className={muted.small}>This personality has no metric targets.</p>
      ) : (
        <div className={table.wrap}>
          <table className={table.table} data-testid="metric-targets">
            <thead>
              <tr>
                <th scope="col">Metric</th>
                <th scope="col" className={table.numeric}>
                  Target
                </th>
                <th scope="col" className={table.numeric}>
                  Measured (mean ± spread)
                </th>
                <th scope="col">Fit</th>
              </tr>
            </thead>
            <tbody>
              {names.map((name) => {
                const range = targets[name];
                const mean = measured?.mean[name];
                const fit = range && mean !== undefined ? rangeFit(mean, range) : null;
                return (
                  <tr key={name} data-testid="metric-row">
                    <th scope="row">{metricLabel(name)}</th>
                    <td className={table.numeric}>
                      {range ? `${formatMetric(range[0])} to ${formatMetric(range[1])}` : '–'}
                    </td>
                    <td className={table.numeric}>
                      {mean === undefined
                        ? '–'
                        : `${formatMetric(mean)} ± ${formatMetric(measured?.std[name] ?? 0)}`}
                    </td>
                    <td className={fit === 'within' ? styles.within : styles.outside}>
                      {fit ? FIT_TEXT[fit] : ''}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
