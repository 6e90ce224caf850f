/** The Usage page: one bar per limit of the user's plan, with what is used, the limit, when
 * it resets and what counts toward it. */
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import { UsageBars } from '../../../components/usage-bars';
import { useUsage } from '../api/get-usage';

export function UsagePage() {
  const usage = useUsage();
  return (
    <Page title="Usage" lead="What your plan allows and how much of it you have used.">
      <QueryState query={usage} loading="Loading your usage…" failure="Could not load your usage.">
        {usage.data && <UsageBars limits={usage.data.limits} />}
      </QueryState>
    </Page>
  );
}
