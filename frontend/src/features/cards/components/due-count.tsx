/** The dashboard's Review card: how many cards are due now and today, with a way to review. */
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import { useReviewStats } from '../api/get-review-stats';

export function DueCount() {
  const stats = useReviewStats();
  return (
    <QueryState
      query={stats}
      loading="Loading cards due…"
      failure="Could not load your cards due."
      statusClassName={muted.small}
    >
      {stats.data && (
        <p data-testid="dashboard-due">
          {stats.data.due_now === 0 ? (
            <>
              Nothing due now; {stats.data.due_today} due later today.{' '}
              <Link to="/decks">Decks</Link>
            </>
          ) : (
            <>
              <Link to="/review">
                {stats.data.due_now} {stats.data.due_now === 1 ? 'card' : 'cards'} due now
              </Link>{' '}
              <span className={muted.small}>({stats.data.due_today} today)</span>
            </>
          )}
        </p>
      )}
    </QueryState>
  );
}
