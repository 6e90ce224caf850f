/** The files a run produced (checkpoints and anything logged), each with a download link. */
import { formatDateTime } from '../../../lib/format';
import { formatBytes } from '../../datasets/utils/format-bytes';
import { artifactDownloadUrl, useArtifacts } from '../api/get-artifacts';
import styles from './experiments.module.css';

export function ArtifactsList({ runId }: { runId: number }) {
  const artifacts = useArtifacts(runId);
  return (
    <section className={styles.section} aria-labelledby="artifacts-title">
      <h2 id="artifacts-title" className={styles.sectionTitle}>
        Artifacts
      </h2>
      {artifacts.isPending ? (
        <p role="status" className={styles.muted}>
          Loading artifacts…
        </p>
      ) : artifacts.isError ? (
        <p role="alert" className={styles.inlineError}>
          Could not load the artifacts. {artifacts.error.message}
        </p>
      ) : artifacts.data.results.length === 0 ? (
        <p className={styles.muted} data-testid="artifacts-empty">
          None yet. Checkpoints are saved here when the run finishes or is cancelled.
        </p>
      ) : (
        <div className={styles.tableWrap}>
          <table className={styles.table}>
            <caption className="visually-hidden">Artifacts</caption>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col" className={styles.numeric}>
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
                  <td className={styles.numeric}>{formatBytes(artifact.size)}</td>
                  <td>
                    <time dateTime={artifact.created_at}>
                      {formatDateTime(artifact.created_at)}
                    </time>
                  </td>
                  <td className={styles.actionsCell}>
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
