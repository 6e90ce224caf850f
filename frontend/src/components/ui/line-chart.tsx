/**
 * Line charts drawn by uPlot (canvas, fast with tens of thousands of points): a title, the
 * latest value of every series in the header, axes with labels, a legend that follows the
 * cursor with the values under it, drag to zoom and double-click to reset. uPlot is imported
 * when the first chart mounts, because importing it reads the screen's pixel ratio through
 * `matchMedia`, which environments without a screen (unit tests) do not have.
 */
import 'uplot/dist/uPlot.min.css';

import { useEffect, useRef, useState } from 'react';
import type uPlot from 'uplot';

import styles from './line-chart.module.css';

/** x values first, then one array of y values (null where a series has no point) per series. */
export type ChartData = [xs: number[], ...ys: (number | null)[][]];

export interface ChartSeries {
  label: string;
  color: string;
  dashed?: boolean;
}

/** Colours that stay apart from each other for the usual colour-vision deficiencies. */
export const CHART_COLORS = [
  '#2f5bd3',
  '#d1602b',
  '#1b8a5a',
  '#a23ea8',
  '#b38f00',
  '#0f8fa6',
  '#c43c5c',
  '#5f5f5a',
  '#6b4fd8',
  '#7a9a1a',
] as const;

interface LineChartProps {
  title: string;
  series: readonly ChartSeries[];
  data: ChartData;
  xLabel?: string;
  yLabel?: string;
  /** Log-scaled y, for values spanning decades (perplexity, loss early on). */
  logScale?: boolean;
  /** x values are times (Unix seconds), labelled as dates and times. */
  timeAxis?: boolean;
  formatValue?: (value: number) => string;
  height?: number;
  emptyText?: string;
  'data-testid'?: string;
}

export function formatChartValue(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(2);
  return value.toLocaleString(undefined, { maximumSignificantDigits: 4 });
}

/**
 * Tick labels for the y axis. On a log scale uPlot thins crowded ticks by passing null in
 * their place (types say number, the value is null); those ticks get no label.
 */
function axisTickLabels(
  splits: readonly (number | null)[],
  format: (value: number) => string,
): string[] {
  return splits.map((split) => (split === null || !Number.isFinite(split) ? '' : format(split)));
}

function lastValue(values: readonly (number | null)[] | undefined): number | null {
  if (!values) return null;
  for (let index = values.length - 1; index >= 0; index -= 1) {
    const value = values[index];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

function buildOptions(
  props: LineChartProps,
  width: number,
  format: (value: number) => string,
): uPlot.Options {
  const {
    series,
    xLabel = 'step',
    yLabel,
    logScale = false,
    timeAxis = false,
    height = 220,
  } = props;
  const show = (_plot: uPlot, value: number | null) => (value === null ? '–' : format(value));
  return {
    width,
    height,
    scales: { x: { time: timeAxis }, y: logScale ? { distr: 3 } : {} },
    axes: [
      {
        label: xLabel,
        stroke: '#5f5f5a',
        grid: { stroke: '#ecece8' },
        ticks: { stroke: '#deded8' },
      },
      {
        label: yLabel,
        stroke: '#5f5f5a',
        size: 64,
        grid: { stroke: '#ecece8' },
        ticks: { stroke: '#deded8' },
        values: (_plot, splits) => axisTickLabels(splits, format),
      },
    ],
    series: [
      {
        label: xLabel,
        value: (_plot, value) => {
          if (value === null) return '–';
          return timeAxis ? new Date(value * 1000).toLocaleString() : String(value);
        },
      },
      ...series.map((item) => ({
        label: item.label,
        stroke: item.color,
        width: 2,
        dash: item.dashed ? [6, 4] : undefined,
        // Sparse series (validation every N steps) are lines through their points, not dots.
        spanGaps: true,
        value: show,
      })),
    ],
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
  };
}

export function LineChart(props: LineChartProps) {
  const { title, series, data, emptyText = 'No points yet.', 'data-testid': testId } = props;
  const format = props.formatValue ?? formatChartValue;
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef({ props, data, format });
  const [failed, setFailed] = useState(false);
  // Set by a drag-to-zoom, cleared by the double-click that zooms back out.
  const zoomed = useRef(false);
  // A new plot is only needed when what is drawn changes, not when points arrive.
  const shape = JSON.stringify([
    series,
    props.xLabel,
    props.yLabel,
    props.logScale,
    props.timeAxis,
    props.height,
  ]);

  useEffect(() => {
    latest.current = { props, data, format };
  });

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    let cancelled = false;
    let observer: ResizeObserver | undefined;
    import('uplot')
      .then(({ default: UPlot }) => {
        if (cancelled) return;
        const current = latest.current;
        const width = Math.max(element.clientWidth, 240);
        const options = buildOptions(current.props, width, current.format);
        options.hooks = {
          setSelect: [
            (chart) => {
              if (chart.select.width > 0) zoomed.current = true;
            },
          ],
        };
        zoomed.current = false;
        plot.current = new UPlot(options, current.data, element);
        if (typeof ResizeObserver === 'undefined') return;
        observer = new ResizeObserver(([entry]) => {
          const nextWidth = Math.floor(entry?.contentRect.width ?? 0);
          if (nextWidth > 0 && plot.current && plot.current.width !== nextWidth) {
            plot.current.setSize({ width: nextWidth, height: plot.current.height });
          }
        });
        observer.observe(element);
      })
      .catch(() => {
        // No canvas (very old browsers, some test environments): the header still shows values.
        if (!cancelled) setFailed(true);
      });
    return () => {
      cancelled = true;
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    // Streaming points rescale the axes to fit, unless the user zoomed in to look closer.
    plot.current?.setData(data, !zoomed.current);
  }, [data]);

  const points = data[0].length;
  return (
    <figure className={styles.chart} data-testid={testId} aria-label={title}>
      <figcaption className={styles.header}>
        <span className={styles.title}>{title}</span>
        <span className={styles.latest}>
          {series.map((item, index) => {
            const value = lastValue(data[index + 1]);
            return (
              <span key={item.label} className={styles.latestItem}>
                <span
                  className={styles.swatch}
                  style={{ background: item.color }}
                  aria-hidden="true"
                />
                {item.label}: <strong>{value === null ? '–' : format(value)}</strong>
              </span>
            );
          })}
        </span>
      </figcaption>
      <div
        className={styles.plot}
        ref={container}
        role="img"
        aria-label={`${title} chart`}
        onDoubleClick={() => {
          zoomed.current = false;
        }}
      >
        {points === 0 && <p className={styles.empty}>{emptyText}</p>}
        {failed && points > 0 && <p className={styles.empty}>The chart could not be drawn here.</p>}
      </div>
    </figure>
  );
}
