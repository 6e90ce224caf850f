/**
 * What validation found in one version: how much text (records, characters, estimated
 * tokens), a preview of the first records, every error with its file and line, the recipe run
 * that made it (if one did), and the models trained on it.
 */
import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import terms from '../../../components/term-list.module.css';
import {
  type DatasetVersion,
  formatRecordKinds,
  versionReport,
} from '../../../lib/api/get-dataset-versions';
import type { DatasetSlots } from './dataset-detail';
import styles from './datasets.module.css';
import { VersionLineage } from './version-lineage';
import { VersionStatusBadge } from './version-status-badge';

export function ValidationReport({
  version,
  derivedModels,
}: {
  version: DatasetVersion;
  derivedModels: DatasetSlots['derivedModels'];
}) {
  const report = versionReport(version);
  return (
    <section
      className={`${card.card} ${card.loose}`}
      aria-labelledby="validation-report-title"
      data-testid="validation-report"
    >
      <header className={`${card.header} ${styles.reportHeader}`}>
        <h3 id="validation-report-title">
          Version {version.number}: {version.filename}
        </h3>
        <VersionStatusBadge status={version.status} />
      </header>
      <VersionLineage version={version} />
      {version.status === 'validating' || report === null ? (
        <p role="status" className={muted.text}>
          Reading every record and counting tokens. The report appears here when it is done.
        </p>
      ) : (
        <>
          <dl className={`${terms.list} ${terms.figures} ${styles.stats}`}>
            <div>
              <dt>Records</dt>
              <dd>{report.records.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Characters</dt>
              <dd>{report.characters.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Estimated tokens</dt>
              <dd>{report.estimated_tokens.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Errors</dt>
              <dd className={report.errors.length > 0 ? styles.errorCount : undefined}>
                {report.errors.length.toLocaleString()}
              </dd>
            </div>
          </dl>
          {formatRecordKinds(report.kinds) && (
            <p className={muted.small} data-testid="record-kinds">
              Records: {formatRecordKinds(report.kinds)}. Fine-tuning takes prompt/response or chat
              records; preference tuning (DPO) takes preference records.
            </p>
          )}
          {report.errors.length > 0 && (
            <div>
              <h4 className={styles.subheading}>Errors</h4>
              <ol className={styles.errors} data-testid="validation-errors">
                {report.errors.map((error, index) => (
                  <li key={`${error.file}:${error.line}:${index}`}>
                    <code>
                      {error.file}:{error.line}
                    </code>{' '}
                    {error.message}
                  </li>
                ))}
              </ol>
            </div>
          )}
          {report.preview.length > 0 && (
            <div>
              <h4 className={styles.subheading}>Preview</h4>
              <ol className={`${stack.list} ${styles.preview}`}>
                {report.preview.map((text, index) => (
                  <li key={index}>
                    <pre>{text}</pre>
                  </li>
                ))}
              </ol>
            </div>
          )}
          {version.status === 'valid' && derivedModels(version.id)}
        </>
      )}
    </section>
  );
}
