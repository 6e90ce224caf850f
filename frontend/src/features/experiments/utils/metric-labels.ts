/**
 * What a person reads for a metric key: a title, the unit its values are in, and both
 * together for a chart's heading. The training engine's keys have written names; any other
 * key is spelled out from its parts, with a unit read from a suffix such as `_mb` or `_ms`.
 */

export interface MetricLabel {
  /** "Peak memory" */
  title: string;
  /** "MB"; empty for a ratio or count with no unit. */
  unit: string;
}

const KNOWN: Readonly<Record<string, MetricLabel>> = {
  loss: { title: 'Training loss', unit: 'nats / token' },
  val_loss: { title: 'Validation loss', unit: 'nats / token' },
  perplexity: { title: 'Validation perplexity', unit: '' },
  lr: { title: 'Learning rate', unit: '' },
  tokens_per_s: { title: 'Throughput', unit: 'tokens / s' },
  memory_mb: { title: 'Peak memory', unit: 'MB' },
  grad_norm: { title: 'Gradient norm', unit: '' },
};

// Longest first, so `_seconds` wins over `_s`.
const UNIT_SUFFIXES: readonly (readonly [suffix: string, unit: string])[] = [
  ['_seconds', 's'],
  ['_percent', '%'],
  ['_bytes', 'bytes'],
  ['_pct', '%'],
  ['_sec', 's'],
  ['_ms', 'ms'],
  ['_mb', 'MB'],
  ['_gb', 'GB'],
  ['_kb', 'KB'],
  ['_s', 's'],
];
// `samples_per_s`: a rate, titled as one with what is counted in its unit.
const RATE = /^(.+?)_per_(s|sec|second)$/i;

const WORDS: Readonly<Record<string, string>> = {
  val: 'validation',
  lr: 'learning rate',
  acc: 'accuracy',
  ppl: 'perplexity',
  tok: 'tokens',
  mem: 'memory',
  grad: 'gradient',
};

function spellOut(name: string): string {
  const words = name
    .split(/[_\s-]+/)
    .filter(Boolean)
    .map((word) => WORDS[word.toLowerCase()] ?? word);
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function labelOf(name: string): MetricLabel {
  const rate = RATE.exec(name);
  if (rate)
    return { title: 'Throughput', unit: `${spellOut(rate[1] as string).toLowerCase()} / s` };
  const lower = name.toLowerCase();
  for (const [suffix, unit] of UNIT_SUFFIXES) {
    if (lower.endsWith(suffix) && name.length > suffix.length) {
      return { title: spellOut(name.slice(0, -suffix.length)), unit };
    }
  }
  return { title: spellOut(name), unit: '' };
}

export function metricLabel(key: string): MetricLabel {
  const known = KNOWN[key];
  if (known) return known;
  // "train/loss" and "eval.accuracy" are groups; the last part says what is measured.
  const parts = key.split(/[/.]/).filter(Boolean);
  const label = labelOf(parts.pop() ?? key);
  const groups = parts.map(spellOut);
  return { ...label, title: [...groups, label.title].join(' · ') };
}

/** "Peak memory (MB)", or the title alone for a metric without a unit. */
export function metricHeading(key: string): string {
  const { title, unit } = metricLabel(key);
  return unit ? `${title} (${unit})` : title;
}
