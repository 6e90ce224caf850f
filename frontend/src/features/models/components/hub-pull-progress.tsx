/** Progress bars for a model's versions still downloading from a hub, until ready or failed. */
import stack from '../../../components/stack.module.css';
import { ProgressBar } from '../../../components/ui/progress-bar';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { formatBytes } from '../../../lib/format-bytes';
import { useHubPullProgress } from '../hooks/use-hub-pull-progress';

export function HubPullProgress({ versions }: { versions: readonly ModelVersion[] }) {
  const live = useHubPullProgress();
  const pulling = versions.filter((version) => version.status === 'importing' && version.hub);
  if (pulling.length === 0) return null;
  return (
    <div className={stack.stack}>
      {pulling.map((version) => {
        const hub = version.hub!;
        const { done, total } = live.get(version.id) ?? {
          done: hub.bytes_done ?? 0,
          total: hub.bytes_total ?? 0,
        };
        const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : null;
        const downloaded = total > 0 && done >= total;
        return (
          <ProgressBar
            key={version.id}
            label={`${version.version} from ${hub.repo_id}${downloaded ? ': converting' : ''}`}
            value={downloaded ? null : percent}
            valueText={
              total > 0 ? `${percent}% · ${formatBytes(done)} of ${formatBytes(total)}` : undefined
            }
            data-testid="hub-pull-progress"
          />
        );
      })}
    </div>
  );
}
