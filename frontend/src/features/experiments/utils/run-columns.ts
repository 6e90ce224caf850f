/**
 * Which metric and param columns the runs table shows: every metric any run has (the usual
 * training curves first), and by default only the params whose values differ between runs,
 * since the ones every run shares say nothing about why results differ.
 */

interface RunLike {
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
}

const FIRST_METRICS = ['loss', 'val_loss', 'perplexity', 'lr', 'tokens_per_s'];

export function metricColumns(runs: readonly RunLike[]): string[] {
  const keys = new Set<string>();
  for (const run of runs) Object.keys(run.metrics).forEach((key) => keys.add(key));
  const rank = (key: string) => {
    const index = FIRST_METRICS.indexOf(key);
    return index === -1 ? FIRST_METRICS.length : index;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function paramColumns(runs: readonly RunLike[], onlyDiffering: boolean): string[] {
  const keys = new Set<string>();
  for (const run of runs) Object.keys(run.params).forEach((key) => keys.add(key));
  const sorted = [...keys].sort((a, b) => a.localeCompare(b));
  if (!onlyDiffering || runs.length < 2) return sorted;
  return sorted.filter((key) => {
    const first = JSON.stringify(runs[0]?.params[key] ?? null);
    return runs.some((run) => JSON.stringify(run.params[key] ?? null) !== first);
  });
}

export function formatParam(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? String(value)
      : value.toPrecision(4).replace(/\.?0+(e|$)/, '$1');
  }
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
