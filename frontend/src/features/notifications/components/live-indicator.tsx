/** A small dot in the header saying whether live updates are reaching this page. */
import { Tooltip } from '../../../components/ui/tooltip';
import { useLiveStatus } from '../../../lib/notifications';
import type { SocketStatus } from '../../../lib/ws';
import styles from './live-indicator.module.css';

const labels: Record<SocketStatus, { short: string; long: string }> = {
  open: { short: 'Live', long: 'Live updates are on.' },
  connecting: { short: 'Connecting', long: 'Connecting for live updates…' },
  closed: { short: 'Offline', long: 'Live updates are off. Reload the page to reconnect.' },
};

export function LiveIndicator() {
  const status = useLiveStatus();
  const label = labels[status];
  return (
    <Tooltip label={label.long}>
      <span
        className={styles.indicator}
        data-status={status}
        tabIndex={0}
        data-testid="live-indicator"
      >
        <span className={styles.dot} aria-hidden="true" />
        {label.short}
      </span>
    </Tooltip>
  );
}
