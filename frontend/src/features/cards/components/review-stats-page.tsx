/**
 * Review statistics: cards due now and today, retention (share of due reviews not forgotten),
 * reviews per day over 30 days, and how many cards fall due each of the next 30 days. The
 * scheduler can be fitted to the user's own review log from here.
 */
import { Link } from 'react-router';

import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { type ChartData, LineChart } from '../../../components/ui/line-chart';
import { useToast } from '../../../components/ui/toast';
import { useReviewStats } from '../api/get-review-stats';
import { useOptimizeScheduler } from '../api/optimize-scheduler';
import styles from './cards.module.css';

/** Days as Unix seconds (the chart's time axis) against their counts. */
function dailySeries(points: readonly { date: string; count: number }[]): ChartData {
  return [points.map((point) => Date.parse(point.date) / 1000), points.map((point) => point.count)];
}

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className={card.card}>
      <span className={muted.small}>{label}</span>
      <span className={styles.figure} data-testid={testId}>
        {value}
      </span>
    </div>
  );
}

export function ReviewStatsPage() {
  const stats = useReviewStats();
  const optimize = useOptimizeScheduler();
  const toast = useToast();
  const data = stats.data;

  const actions = (
    <>
      <Link to="/review">Review</Link>
      <Button
        disabled={optimize.isPending}
        onClick={() =>
          optimize.mutate(undefined, {
            onSuccess: () =>
              toast.add({
                title: 'Fitting your scheduler',
                description: 'New intervals follow your own review history once it is done.',
              }),
          })
        }
      >
        Fit scheduler to my reviews
      </Button>
    </>
  );

  return (
    <Page
      title="Review statistics"
      lead="How your reviews go, and what is coming due."
      actions={actions}
    >
      {optimize.error && <FormError>{optimize.error.message}</FormError>}
      <QueryState query={stats} loading="Loading statistics…" failure="Could not load statistics.">
        {data && (
          <>
            <div className={styles.stats}>
              <Figure label="Due now" value={String(data.due_now)} testId="stats-due-now" />
              <Figure label="Due today" value={String(data.due_today)} testId="stats-due-today" />
              <Figure
                label="Retention"
                value={data.retention === null ? '–' : `${(data.retention * 100).toFixed(1)} %`}
                testId="stats-retention"
              />
            </div>
            <div className={styles.charts}>
              <LineChart
                title="Reviews per day"
                series={[{ label: 'reviews', color: '#2f5bd3' }]}
                data={dailySeries(data.reviews_per_day)}
                xLabel="day"
                timeAxis
                emptyText="No reviews in the last 30 days."
                data-testid="reviews-per-day"
              />
              <LineChart
                title="Due in the next 30 days"
                series={[{ label: 'cards due', color: '#1b8a5a' }]}
                data={dailySeries(data.forecast.map((day) => ({ date: day.date, count: day.due })))}
                xLabel="day"
                timeAxis
                emptyText="Nothing falls due in the next 30 days."
                data-testid="due-forecast"
              />
            </div>
          </>
        )}
      </QueryState>
    </Page>
  );
}
