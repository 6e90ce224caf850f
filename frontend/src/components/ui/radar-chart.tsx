/**
 * A radar (spider) chart in plain SVG: one spoke per axis, rings at quarter steps, and the
 * values as a filled polygon. Small enough that a canvas library would be more code than the
 * chart; scales with its container. Screen readers get the values in the label.
 */
import styles from './radar-chart.module.css';

export interface RadarAxis {
  label: string;
  /** Between 0 and `max`; values outside are drawn at the edge. */
  value: number;
}

interface RadarChartProps {
  title: string;
  axes: readonly RadarAxis[];
  max?: number;
  'data-testid'?: string;
}

const RADIUS = 100;
// Room beside the rings for the axis labels (words run sideways) and above and below them.
const PAD_X = 90;
const PAD_Y = 30;
const RINGS = [0.25, 0.5, 0.75, 1];
// Labels sit just outside the outer ring, along their spoke.
const LABEL_OUT = 1.12;

/** The point `fraction` of the way out along axis `index` of `count`, the first straight up. */
export function radarPoint(index: number, count: number, fraction: number): [number, number] {
  const angle = (2 * Math.PI * index) / count - Math.PI / 2;
  const clamped = Math.min(Math.max(fraction, 0), 1);
  const round = (value: number) => Math.round(value * 100) / 100;
  return [round(RADIUS * clamped * Math.cos(angle)), round(RADIUS * clamped * Math.sin(angle))];
}

function polygon(points: readonly [number, number][]): string {
  return points.map(([x, y]) => `${x},${y}`).join(' ');
}

function anchor(x: number): 'start' | 'middle' | 'end' {
  if (Math.abs(x) < 1) return 'middle';
  return x > 0 ? 'start' : 'end';
}

export function RadarChart({ title, axes, max = 1, 'data-testid': testId }: RadarChartProps) {
  const count = axes.length;
  const summary = axes.map((axis) => `${axis.label} ${axis.value.toFixed(2)}`).join(', ');
  if (count < 3) {
    // Fewer than three spokes make no area; the values still read as text.
    return <p className={styles.fallback}>{summary}</p>;
  }
  const values = axes.map((axis, index) => radarPoint(index, count, axis.value / max));
  return (
    <figure className={styles.chart} data-testid={testId}>
      <figcaption className={styles.title}>{title}</figcaption>
      <svg
        className={styles.svg}
        viewBox={`${-RADIUS - PAD_X} ${-RADIUS - PAD_Y} ${2 * (RADIUS + PAD_X)} ${2 * (RADIUS + PAD_Y)}`}
        role="img"
        aria-label={`${title}: ${summary}`}
      >
        {RINGS.map((ring) => (
          <polygon
            key={ring}
            className={styles.ring}
            points={polygon(axes.map((_, index) => radarPoint(index, count, ring)))}
          />
        ))}
        {axes.map((axis, index) => {
          const [x, y] = radarPoint(index, count, 1);
          return (
            <g key={axis.label}>
              <line className={styles.spoke} x1={0} y1={0} x2={x} y2={y} />
              <text
                className={styles.label}
                x={x * LABEL_OUT}
                y={y * LABEL_OUT}
                textAnchor={anchor(x)}
                dominantBaseline="middle"
                data-testid="radar-axis"
              >
                {axis.label}
              </text>
            </g>
          );
        })}
        <polygon className={styles.area} points={polygon(values)} data-testid="radar-area" />
        {values.map(([x, y], index) => (
          <circle key={axes[index]?.label} className={styles.dot} cx={x} cy={y} r={3} />
        ))}
      </svg>
    </figure>
  );
}
