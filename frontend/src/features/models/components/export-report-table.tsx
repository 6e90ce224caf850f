/**
 * Every export of a version side by side: size against full precision, perplexity and its
 * change, KL divergence, top-1 agreement and decode speed, warnings, and a download link.
 */
import { Badge } from '../../../components/ui/badge';
import { exportDownloadUrl } from '../api/create-exports';
import type { ModelExport } from '../api/get-model-versions';
import { referencePerplexity, reportRows } from '../utils/export-report';
import styles from './models.module.css';
import { ExportStatusBadge } from './status-badges';

export function ExportReportTable({ exports }: { exports: readonly ModelExport[] }) {
  if (exports.length === 0) {
    return (
      <p className={styles.muted} data-testid="exports-empty">
        No exports yet. Export the version to compare quantized types here.
      </p>
    );
  }
  const rows = reportRows(exports);
  return (
    <div className={styles.tableWrap}>
      <table className={styles.table} data-testid="export-report">
        <caption className={styles.caption}>
          Measured against full precision (perplexity {referencePerplexity(exports)}).
        </caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col" className={styles.numeric}>
              Size
            </th>
            <th scope="col" className={styles.numeric}>
              vs F32
            </th>
            <th scope="col" className={styles.numeric}>
              Perplexity
            </th>
            <th scope="col" className={styles.numeric}>
              Δ %
            </th>
            <th scope="col" className={styles.numeric}>
              KL
            </th>
            <th scope="col" className={styles.numeric}>
              Top-1
            </th>
            <th scope="col" className={styles.numeric}>
              Tokens/s
            </th>
            <th scope="col">Warnings</th>
            <th scope="col">
              <span className="visually-hidden">Download</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} data-testid="export-row">
              <th scope="row">{row.qtype}</th>
              <td>
                <ExportStatusBadge status={row.status} />
                {row.error && <p className={styles.cellError}>{row.error}</p>}
              </td>
              <td className={styles.numeric}>{row.size}</td>
              <td className={styles.numeric}>{row.sizeVsF32}</td>
              <td className={styles.numeric}>{row.perplexity}</td>
              <td className={styles.numeric}>
                {row.degraded ? <Badge tone="warning">{row.deltaPct}</Badge> : row.deltaPct}
              </td>
              <td className={styles.numeric}>{row.klDivergence}</td>
              <td className={styles.numeric}>{row.top1Agreement}</td>
              <td className={styles.numeric}>{row.tokensPerS}</td>
              <td className={styles.warnings}>
                {row.warnings.length === 0 ? '–' : row.warnings.join('; ')}
              </td>
              <td className={styles.actionsCell}>
                {row.status === 'ready' && (
                  <a className={styles.linkButton} href={exportDownloadUrl(row.id)} download>
                    Download
                  </a>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
