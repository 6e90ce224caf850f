/**
 * Display formatting shared by every feature: dates in the user's locale, and the numbers a
 * personality evaluation reports (scores, signed gains, perplexity ratios), "–" wherever a
 * number is missing.
 */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso));
}

const NONE = '–';

/** The value when it is a finite number, else null (the server sends null when not measured). */
function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A score such as an alignment: "0.620". */
export function formatScore(value: unknown, digits = 3): string {
  const n = finite(value);
  return n === null ? NONE : n.toFixed(digits);
}

/** "+0.120" / "−0.040" / "±0.000": a gain's sign is the point of it. */
export function formatGain(value: unknown, digits = 3): string {
  const n = finite(value);
  if (n === null) return NONE;
  const sign = n > 0 ? '+' : n < 0 ? '−' : '±';
  return `${sign}${Math.abs(n).toFixed(digits)}`;
}

/** "×1.18": how much the answers' perplexity moved against no personality. */
export function formatRatio(value: unknown): string {
  const n = finite(value);
  return n === null ? NONE : `×${n.toFixed(2)}`;
}
