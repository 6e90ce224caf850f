/**
 * One bar per limit of a plan, with what is used, the limit, when it resets and what counts
 * toward it: the Usage page shows yours, a team's page the team's.
 */
import type { ApiResponse } from '../lib/api-client';
import { formatBytes } from '../lib/format-bytes';
import { formatDuration } from '../lib/format-duration';
import muted from './muted.module.css';
import { ProgressBar } from './ui/progress-bar';
import styles from './usage-bars.module.css';

type QuotaUsage = ApiResponse<'/api/v1/usage/', 'get', 200>;
export type LimitUsage = QuotaUsage['limits'][number];

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

export function UsageBars({ limits }: { limits: readonly LimitUsage[] }) {
  return (
    <ul className={styles.limits}>
      {limits.map((item) => (
        <LimitBar key={item.name} usage={item} />
      ))}
    </ul>
  );
}
