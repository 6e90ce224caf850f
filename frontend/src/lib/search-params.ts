/** Reading ids out of the URL's search params, where pages keep their selection. */

/** A positive integer id, or null for a missing or hand-edited value (so the page falls back). */
export function idParam(value: string | null): number | null {
  const id = Number(value);
  return value !== null && Number.isInteger(id) && id > 0 ? id : null;
}

/** A non-negative integer (a position: a chunk's index, a character offset), or null. */
export function indexParam(value: string | null): number | null {
  const index = Number(value);
  return value !== null && value !== '' && Number.isInteger(index) && index >= 0 ? index : null;
}
