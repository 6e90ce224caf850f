/**
 * The run's log as the page shows it: the lines the server kept, then the lines the socket
 * delivered since. Both carry the line's id, so a line that is in both (it was written while
 * the stored log loaded) is shown once.
 */

export interface LogEntry {
  /** Null for a line from a server that sent no id; it is always shown. */
  id: number | null;
  line: string;
}

export function mergeLogLines(
  stored: readonly LogEntry[],
  live: readonly LogEntry[],
  max: number,
): string[] {
  let lastStored = -Infinity;
  for (const entry of stored) if (entry.id !== null && entry.id > lastStored) lastStored = entry.id;
  const fresh = live.filter((entry) => entry.id === null || entry.id > lastStored);
  return [...stored, ...fresh].slice(-max).map((entry) => entry.line);
}
