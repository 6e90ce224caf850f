/** The Usage page: one bar per limit of the user's plan, with what is used, the limit, when
 * it resets and what counts toward it. */
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import { ProgressBar } from '../../../components/ui/progress-bar';
import muted from '../../../components/muted.module.css';
import { formatBytes } from '../../../lib/format-bytes';
import { formatDuration } from '../../../lib/format-duration';
import { type LimitUsage, useUsage } from '../api/get-usage';
import styles from './usage.module.css';

// Past this share a bar turns red, while there is still room before requests are refused.
const NEARLY_FULL = 0.9;

const LABELS: Record<LimitUsage['name'], string> = {
  storage_bytes: 'Storage',
  compute_seconds_per_month: 'Training compute this month',
  concurrent_runs: 'Training runs at once',
  chat_tokens_per_day: 'Chat tokens today',
  concurrent_generations: 'Chat replies at once',
  api_requests_per_minute: 'API requests this minute',
};

function amount(name: LimitUsage['name'], value: number): string {
  if (name === 'storage_bytes') return formatBytes(value);
  if (name === 'compute_seconds_per_month') return formatDuration(value);
  return Math.round(value).toLocaleString();
}

function resetText(resetsAt: string | null): string {
  if (!resetsAt) return 'Frees up as things finish or are deleted.';
  return `Resets ${new Date(resetsAt).toLocaleString()}.`;
}

function LimitBar({ usage }: { usage: LimitUsage }) {
  const { name, used, limit } = usage;
  const share = limit === null ? 0 : limit > 0 ? used / limit : 1;
  const text =
    limit === null
      ? `${amount(name, used)} (unlimited)`
      : `${amount(name, used)} of ${amount(name, limit)}`;
  return (
    <li className={styles.limit} data-testid={`usage-${name}`}>
      <ProgressBar
        label={LABELS[name]}
        value={limit === null ? 0 : Math.min(used, limit)}
        max={Math.max(limit ?? 1, 1)}
        valueText={limit === null ? text : `${text} (${Math.round(share * 100)}%)`}
        ariaValueText={`${text} used`}
        tone={share >= NEARLY_FULL ? 'danger' : 'accent'}
      />
      <p className={muted.text}>
        {resetText(usage.resets_at)} {usage.what_counts}
      </p>
    </li>
  );
}

export function UsagePage() {
  const usage = useUsage();
  return (
    <Page title="Usage" lead="What your plan allows and how much of it you have used.">
      <QueryState query={usage} loading="Loading your usage…" failure="Could not load your usage.">
        <ul className={styles.limits}>
          {usage.data?.limits.map((item) => (
            <LimitBar key={item.name} usage={item} />
          ))}
        </ul>
      </QueryState>
    </Page>
  );
}
