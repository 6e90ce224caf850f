/**
 * How personality values and sampling settings read to a person (metric names are in
 * lib/personality-metrics.ts), and where a measured value sits against a target range. A
 * name the server adds later still shows, as its key.
 */

const SAMPLING_LABELS: Record<string, string> = {
  temperature: 'Temperature',
  top_p: 'Top-p',
  repetition_penalty: 'Repetition penalty',
  max_new_tokens: 'Max new tokens',
};

export function samplingLabel(name: string): string {
  return SAMPLING_LABELS[name] ?? name;
}

/** A trait key as a label: "humour" -> "Humour". */
export function traitLabel(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1).replaceAll('_', ' ');
}

export function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(3);
}

export type RangeFit = 'below' | 'within' | 'above';

export function rangeFit(value: number, [low, high]: readonly [number, number]): RangeFit {
  if (value < low) return 'below';
  if (value > high) return 'above';
  return 'within';
}

/** What a version was made from, in a few words, from its provenance. */
export function provenanceText(provenance: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const { archetype, examples, background, dataset_version_id, epochs, copied_from_version_id } =
    provenance;
  if (typeof archetype === 'string' && archetype) parts.push(`archetype ${archetype}`);
  if (typeof examples === 'number') {
    const from =
      typeof dataset_version_id === 'number' ? ` (dataset version ${dataset_version_id})` : '';
    parts.push(`${examples} examples${from}`);
  }
  if (typeof background === 'number') parts.push(`${background} background texts`);
  if (typeof epochs === 'number') parts.push(`${epochs} epochs`);
  if (typeof copied_from_version_id === 'number') parts.push('a copy');
  return parts.length ? parts.join(', ') : 'trait values';
}
