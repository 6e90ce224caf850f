/**
 * What the sweep page's charts draw, from the trials: the optimization history (each complete
 * trial's objective and the best so far) and, per parameter, where each trial sits on its
 * axis of the parallel coordinates (0 = bottom, 1 = top; log-scaled where the space says so).
 */
import type { ChartData } from '../../../components/ui/line-chart';

export interface TrialLike {
  number: number;
  state: string;
  objective?: number | null;
  params: Record<string, unknown>;
}

export interface ParamSpec {
  name: string;
  type: 'float' | 'int' | 'categorical';
  low?: number;
  high?: number;
  log?: boolean;
  choices?: unknown[];
}

export function completeTrials<T extends TrialLike>(trials: readonly T[]): T[] {
  return trials.filter(
    (trial) => trial.state === 'complete' && typeof trial.objective === 'number',
  );
}

/** x: trial numbers; series: each complete trial's objective, and the best up to it. */
export function historyData(trials: readonly TrialLike[], direction: string): ChartData {
  const done = completeTrials(trials).sort((a, b) => a.number - b.number);
  const better = (a: number, b: number) => (direction === 'maximize' ? a > b : a < b);
  let best: number | null = null;
  const bests = done.map((trial) => {
    const value = trial.objective as number;
    if (best === null || better(value, best)) best = value;
    return best;
  });
  return [done.map((trial) => trial.number), done.map((trial) => trial.objective as number), bests];
}

/** Where `value` sits on the parameter's axis, or null when the trial did not draw it. */
export function axisPosition(spec: ParamSpec, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (spec.type === 'categorical') {
    const choices = spec.choices ?? [];
    const index = choices.findIndex((choice) => choice === value);
    if (index < 0) return null;
    return choices.length === 1 ? 0.5 : index / (choices.length - 1);
  }
  if (typeof value !== 'number' || spec.low === undefined || spec.high === undefined) return null;
  if (spec.high === spec.low) return 0.5;
  const scale = spec.log ? Math.log : (x: number) => x;
  return (scale(value) - scale(spec.low)) / (scale(spec.high) - scale(spec.low));
}
