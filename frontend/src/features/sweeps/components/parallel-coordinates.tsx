/**
 * Parallel coordinates of a sweep's complete trials: one vertical axis per parameter and one
 * for the objective, one line per trial, coloured from the best (dark) to the worst (light),
 * the best trial drawn on top and thicker.
 */
import { formatChartValue } from '../../../components/ui/line-chart';
import {
  axisPosition,
  completeTrials,
  type ParamSpec,
  type TrialLike,
} from '../utils/trial-charts';
import styles from './sweeps.module.css';

interface ParallelCoordinatesProps {
  space: readonly ParamSpec[];
  trials: readonly TrialLike[];
  direction: string;
  bestNumber: number | null;
}

const WIDTH = 640;
const HEIGHT = 240;
const PAD = { top: 24, bottom: 36, side: 48 };

export function ParallelCoordinates({
  space,
  trials,
  direction,
  bestNumber,
}: ParallelCoordinatesProps) {
  const done = completeTrials(trials);
  if (done.length === 0) {
    return <p className={styles.chartEmpty}>Parallel coordinates appear once a trial completes.</p>;
  }
  const objectives = done.map((trial) => trial.objective as number);
  const low = Math.min(...objectives);
  const high = Math.max(...objectives);
  const objectiveAxis: ParamSpec = { name: 'objective', type: 'float', low, high };
  const axes = [...space, objectiveAxis];
  const x = (index: number) =>
    PAD.side + (index * (WIDTH - 2 * PAD.side)) / Math.max(1, axes.length - 1);
  const y = (position: number) => PAD.top + (1 - position) * (HEIGHT - PAD.top - PAD.bottom);
  const rank = (value: number) => {
    const span = high - low || 1;
    const goodness = direction === 'maximize' ? (value - low) / span : (high - value) / span;
    return Math.round(85 - goodness * 55); // lightness: best 30%, worst 85%
  };
  const ordered = [...done].sort((a) => (a.number === bestNumber ? 1 : -1));
  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      className={styles.parallel}
      role="img"
      aria-label="Parallel coordinates of the complete trials"
      data-testid="parallel-coordinates"
    >
      {axes.map((axis, index) => (
        <g key={axis.name}>
          <line x1={x(index)} x2={x(index)} y1={y(0)} y2={y(1)} className={styles.axis} />
          <text x={x(index)} y={HEIGHT - 14} textAnchor="middle" className={styles.axisLabel}>
            {axis.name}
          </text>
          <text x={x(index)} y={PAD.top - 8} textAnchor="middle" className={styles.axisTick}>
            {axis.type === 'categorical'
              ? JSON.stringify(axis.choices?.at(-1) ?? '')
              : formatChartValue(axis.high ?? 0)}
          </text>
        </g>
      ))}
      {ordered.map((trial) => {
        const points = axes
          .map((axis, index) => {
            const value = axis === objectiveAxis ? trial.objective : trial.params[axis.name];
            const position = axisPosition(axis, value);
            return position === null ? null : `${x(index)},${y(position)}`;
          })
          .filter((point) => point !== null);
        const best = trial.number === bestNumber;
        return (
          <polyline
            key={trial.number}
            points={points.join(' ')}
            fill="none"
            stroke={
              best
                ? 'var(--color-accent, #2f5bd3)'
                : `hsl(220 60% ${rank(trial.objective as number)}%)`
            }
            strokeWidth={best ? 3 : 1.5}
          >
            <title>{`trial ${trial.number}: ${formatChartValue(trial.objective as number)}`}</title>
          </polyline>
        );
      })}
    </svg>
  );
}
