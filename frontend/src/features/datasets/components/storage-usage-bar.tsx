/** How much of the storage quota the user's files take, as a bar with the numbers. */
import muted from '../../../components/muted.module.css';
import { ProgressBar } from '../../../components/ui/progress-bar';
import { formatBytes } from '../../../lib/format-bytes';
import { useStorageUsage } from '../api/get-storage-usage';
import styles from './datasets.module.css';

// Past this share the bar turns red, while there is still room to tidy up before uploads fail.
const NEARLY_FULL = 0.9;

export function StorageUsageBar() {
  const storage = useStorageUsage();
  if (storage.isPending) return <p className={muted.text}>Checking storage…</p>;
  if (storage.isError) {
    return <p className={muted.text}>Storage use is unavailable: {storage.error.message}</p>;
  }
  const { used_bytes: used, quota_bytes: quota } = storage.data;
  if (quota === null) {
    return <p className={muted.text}>Storage: {formatBytes(used)} used (unlimited)</p>;
  }
  const share = quota > 0 ? used / quota : 1;
  const text = `${formatBytes(used)} of ${formatBytes(quota)}`;
  return (
    <div className={styles.storage} data-testid="storage-usage">
      <ProgressBar
        label="Storage"
        value={Math.min(used, quota)}
        max={Math.max(quota, 1)}
        valueText={`${text} (${Math.round(share * 100)}%)`}
        ariaValueText={`${text} used`}
        tone={share >= NEARLY_FULL ? 'danger' : 'accent'}
      />
    </div>
  );
}
