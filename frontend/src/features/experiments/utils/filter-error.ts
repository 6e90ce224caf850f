/**
 * The run filter's syntax errors end with "at offset N" (a 0-based character index into the
 * filter text). Split out, the box can point at the character instead of repeating a number.
 */

export interface FilterError {
  message: string;
  /** Where in the filter text it went wrong; null when the server named no place. */
  offset: number | null;
}

export function parseFilterError(message: string, filterLength: number): FilterError {
  const match = /^(.*?)\s*at offset (\d+)\.?$/s.exec(message);
  if (!match) return { message, offset: null };
  const offset = Math.min(Number(match[2]), filterLength);
  return { message: match[1] as string, offset };
}
