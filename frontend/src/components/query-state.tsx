/**
 * What a list shows while its query is loading, when it failed (with a retry), when it came
 * back empty, and otherwise its content: the four states every list on every page goes through.
 */
import type { ReactNode } from 'react';

import loadError from './load-error.module.css';
import muted from './muted.module.css';
import { Button } from './ui/button';

/** The part of a TanStack query these states read; any `useQuery` result fits. */
interface QueryLike {
  isPending: boolean;
  isError: boolean;
  error: Error | null;
  refetch: () => unknown;
}

interface QueryStateProps {
  query: QueryLike;
  /** The status line while loading, e.g. "Loading datasets…". */
  loading: string;
  /** The sentence before the server's message on failure, e.g. "Could not load your datasets." */
  failure: string;
  /** Whether the loaded list is empty; `empty` is shown instead of the content then. */
  isEmpty?: boolean;
  empty?: ReactNode;
  /** Replaces the loading line's class, for features whose muted text is smaller. */
  statusClassName?: string;
  children: ReactNode;
}

export function QueryState({
  query,
  loading,
  failure,
  isEmpty = false,
  empty,
  statusClassName = muted.text,
  children,
}: QueryStateProps) {
  if (query.isPending) {
    return (
      <p role="status" className={statusClassName}>
        {loading}
      </p>
    );
  }
  if (query.isError) {
    return (
      <div role="alert" className={loadError.box}>
        <p>
          {failure} {query.error?.message}
        </p>
        <Button size="small" onClick={() => void query.refetch()}>
          Try again
        </Button>
      </div>
    );
  }
  return isEmpty ? empty : children;
}
