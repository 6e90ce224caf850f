/**
 * One generation's timeline: a bar per hop (web, queue, worker, prefill, decode, relay), placed
 * where it started and as long as it took, so the slow hop stands out.
 */
import type { Trace } from '../api/get-trace';
import styles from './monitoring.module.css';

const HOP_COLORS: Record<string, string> = {
  web: '#5f5f5a',
  queue: '#b38f00',
  worker: '#a23ea8',
  prefill: '#d1602b',
  decode: '#2f5bd3',
  relay: '#1b8a5a',
};

export function formatMs(ms: number | null): string {
  if (ms === null) return '–';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

export function TraceTimeline({ trace }: { trace: Trace }) {
  const starts = trace.hops.flatMap((hop) => (hop.start ? [Date.parse(hop.start)] : []));
  const ends = trace.hops.flatMap((hop) => (hop.end ? [Date.parse(hop.end)] : []));
  const origin = Math.min(...starts);
  const span = Math.max(Math.max(...ends) - origin, 1);
  return (
    <dl className={styles.timeline} aria-label="Timeline of hops">
      {trace.hops.map((hop) => {
        const measured = hop.start !== null && hop.duration_ms !== null;
        const left = measured ? ((Date.parse(hop.start ?? '') - origin) / span) * 100 : 0;
        const width = measured ? ((hop.duration_ms ?? 0) / span) * 100 : 0;
        return (
          <div key={hop.name} style={{ display: 'contents' }} data-testid={`hop-${hop.name}`}>
            <dt title={hop.description}>{hop.name}</dt>
            <dd className={styles.track} aria-label={hop.description}>
              {measured && (
                <span
                  className={styles.bar}
                  style={{
                    left: `${Math.max(0, Math.min(left, 100))}%`,
                    width: `${Math.min(width, 100)}%`,
                    background: HOP_COLORS[hop.name],
                  }}
                />
              )}
            </dd>
            <dd className={styles.duration}>{formatMs(hop.duration_ms)}</dd>
          </div>
        );
      })}
    </dl>
  );
}
