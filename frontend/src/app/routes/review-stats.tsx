/** Review statistics: `/review/stats`. */
import { ReviewStatsPage } from '../../features/cards/components/review-stats-page';

export function ReviewStatsRoute() {
  return <ReviewStatsPage />;
}
