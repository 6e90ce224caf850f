/**
 * The files a run produced (checkpoints and anything logged), each with a download link and
 * when it was last written (a resumed run writes its checkpoints again under the same names).
 */
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import table from '../../../components/table.module.css';
import { formatDateTime } from '../../../lib/format';
import { formatBytes } from '../../../lib/format-bytes';
import { artifactDownloadUrl, useArtifacts } from '../api/get-artifacts';
import styles from './experiments.module.css';

export function ArtifactsList({ runId }: { runId: number }) {
  const artifacts = useArtifacts(runId);
  return (
    <section className={stack.stack} aria-labelledby="artifacts-title">
      <h2 id="artifacts-title" className={styles.sectionTitle}>
        Artifacts
      </h2>
      {artifacts.isPending ? (
        <p role="status" className={muted.text}>
          Loading artifacts…
        </p>
      ) : artifacts.isError ? (
        <p role="alert" className={styles.inlineError}>
          Could not load the artifacts. {artifacts.error.message}
        </p>
      ) : artifacts.data.results.length === 0 ? (
        <p className={muted.text} data-testid="artifacts-empty">
          None yet. Checkpoints are saved here when the run finishes or is cancelled.
        </p>
      ) : (
        <div className={table.wrap}>
          <table className={table.table}>
            <caption className="visually-hidden">Artifacts</caption>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col" className={table.numeric}>
                  Size
                </th>
                <th scope="col">Saved</th>
                <th scope="col">
                  <span className="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {artifacts.data.results.map((artifact) => (
                <tr key={artifact.id} data-testid="artifact-row">
                  <th scope="row">
                    <code>{artifact.path}</code>
                  </th>
                  <td className={table.numeric}>{formatBytes(artifact.size)}</td>
                  <td>
                    <time dateTime={artifact.updated_at}>
                      {formatDateTime(artifact.updated_at)}
                    </time>
                  </td>
                  <td className={table.actions}>
                    <a
                      href={artifactDownloadUrl(artifact)}
                      download
                      aria-label={`Download ${artifact.path}`}
                    >
                      Download
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
