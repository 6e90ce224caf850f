/**
 * Metric curves as the charts need them. A run's chart starts from the server's downsampled
 * series and then grows with points from the live socket; the socket may deliver a point the
 * series already has (a reconnect, a resumed run logging a step again) or out of order, so
 * merging keeps each curve sorted by step with one value per step, the latest winning.
 */
import type { ChartData } from '../../../components/ui/line-chart';

export interface Series {
  steps: number[];
  values: number[];
}

export interface LivePoint {
  key: string;
  step: number;
  value: number;
}

/** The index of the first step >= `step` (binary search; steps are sorted). */
function lowerBound(steps: readonly number[], step: number): number {
  let low = 0;
  let high = steps.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((steps[middle] as number) < step) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Adds one point to `series` in place: appended, inserted in order, or replacing its step. */
function addPoint(series: Series, step: number, value: number): void {
  const last = series.steps[series.steps.length - 1];
  if (last === undefined || step > last) {
    series.steps.push(step);
    series.values.push(value);
    return;
  }
  const index = lowerBound(series.steps, step);
  if (series.steps[index] === step) {
    series.values[index] = value;
  } else {
    series.steps.splice(index, 0, step);
    series.values.splice(index, 0, value);
  }
}

/**
 * `current` with `points` merged in. Only the curves that received points are copied, so an
 * untouched curve keeps its identity and its chart does not redraw.
 */
export function mergePoints(
  current: Readonly<Record<string, Series>>,
  points: readonly LivePoint[],
): Record<string, Series> {
  const next: Record<string, Series> = { ...current };
  const copied = new Set<string>();
  for (const { key, step, value } of points) {
    if (!Number.isFinite(step) || !Number.isFinite(value)) continue;
    if (!copied.has(key)) {
      const existing = current[key];
      next[key] = existing
        ? { steps: [...existing.steps], values: [...existing.values] }
        : { steps: [], values: [] };
      copied.add(key);
    }
    addPoint(next[key] as Series, step, value);
  }
  return next;
}

/** The fetched curve with the live one laid over it (live wins where both have a step). */
export function overlaySeries(base: Series | undefined, live: Series | undefined): Series {
  if (!live || live.steps.length === 0) return base ?? { steps: [], values: [] };
  if (!base || base.steps.length === 0) return live;
  const merged: Series = { steps: [...base.steps], values: [...base.values] };
  live.steps.forEach((step, index) => addPoint(merged, step, live.values[index] as number));
  return merged;
}

/**
 * Several curves on one shared x axis, as uPlot wants them: the union of their steps, and
 * for each curve its value at every step or null where it has none.
 */
export function alignSeries(curves: readonly (Series | null | undefined)[]): ChartData {
  const steps = new Set<number>();
  for (const curve of curves) curve?.steps.forEach((step) => steps.add(step));
  const xs = [...steps].sort((a, b) => a - b);
  const position = new Map(xs.map((step, index) => [step, index]));
  const ys = curves.map((curve) => {
    const column: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    curve?.steps.forEach((step, index) => {
      column[position.get(step) as number] = curve.values[index] ?? null;
    });
    return column;
  });
  return [xs, ...ys];
}
