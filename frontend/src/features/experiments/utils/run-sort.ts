/**
 * Sorting the runs table by a column. The server sorts (so every page is in order); this
 * turns the column the user clicked into its `order_by` text and back into the URL. One click
 * sorts ascending, a second descending, a third goes back to the server's default order.
 */

export type SortKind = 'metrics' | 'params' | 'attribute';
export type SortDirection = 'asc' | 'desc';

export interface RunSort {
  kind: SortKind;
  key: string;
  direction: SortDirection;
}

export function sameColumn(sort: RunSort | null, kind: SortKind, key: string): boolean {
  return sort !== null && sort.kind === kind && sort.key === key;
}

export function nextSort(current: RunSort | null, kind: SortKind, key: string): RunSort | null {
  if (!sameColumn(current, kind, key)) return { kind, key, direction: 'asc' };
  return current?.direction === 'asc' ? { kind, key, direction: 'desc' } : null;
}

/** A key as the query language names it: bare when simple, in backticks otherwise. */
export function quoteKey(key: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_/-]*$/.test(key) ? key : `\`${key}\``;
}

export function orderByParam(sort: RunSort | null): string {
  if (sort === null) return '';
  const field = sort.kind === 'attribute' ? sort.key : `${sort.kind}.${quoteKey(sort.key)}`;
  return `${field} ${sort.direction}`;
}

/** `kind:direction:key` for the URL; the key goes last because it may contain colons. */
export function sortToParam(sort: RunSort | null): string | null {
  return sort === null ? null : `${sort.kind}:${sort.direction}:${sort.key}`;
}

export function sortFromParam(param: string | null): RunSort | null {
  const match = /^(metrics|params|attribute):(asc|desc):(.+)$/.exec(param ?? '');
  if (!match) return null;
  return {
    kind: match[1] as SortKind,
    direction: match[2] as SortDirection,
    key: match[3] as string,
  };
}
