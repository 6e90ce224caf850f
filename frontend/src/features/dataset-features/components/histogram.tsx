/**
 * A feature's histogram as bars (SVG): one bar per bin, its range and count in a tooltip,
 * the lowest and highest edge under the axis.
 */
import { formatChartValue } from '../../../components/ui/line-chart';
import styles from './features.module.css';

const WIDTH = 280;
const HEIGHT = 96;
const AXIS = 14;

export function Histogram({
  name,
  edges,
  counts,
}: {
  name: string;
  edges: readonly number[];
  counts: readonly number[];
}) {
  const highest = Math.max(1, ...counts);
  const width = WIDTH / Math.max(1, counts.length);
  const plot = HEIGHT - AXIS;
  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      className={styles.histogram}
      role="img"
      aria-label={`Histogram of ${name}`}
      data-testid={`histogram-${name}`}
    >
      {counts.map((count, index) => {
        const height = (count / highest) * plot;
        const low = edges[index] ?? 0;
        const high = edges[index + 1] ?? low;
        return (
          <rect
            key={index}
            className={styles.bar}
            x={index * width + 0.5}
            y={plot - height}
            width={Math.max(1, width - 1)}
            height={height}
          >
            <title>{`${formatChartValue(low)} to ${formatChartValue(high)}: ${count.toLocaleString()}`}</title>
          </rect>
        );
      })}
      <text x={0} y={HEIGHT - 2} className={styles.axisLabel}>
        {formatChartValue(edges[0] ?? 0)}
      </text>
      <text x={WIDTH} y={HEIGHT - 2} textAnchor="end" className={styles.axisLabel}>
        {formatChartValue(edges.at(-1) ?? 0)}
      </text>
    </svg>
  );
}
