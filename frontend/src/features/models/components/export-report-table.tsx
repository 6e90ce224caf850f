/**
 * Every export of a version side by side: size against full precision, perplexity and its
 * change, KL divergence, top-1 agreement and decode speed (for a GGUF export, measured on the
 * same-type `.sou` it was written from), warnings, and a download link; and,
 * when the model has a target personality, each export's personality row (the quantized
 * file's alignment and VADER against the F32 file's).
 */
import linkButton from '../../../components/link-button.module.css';
import muted from '../../../components/muted.module.css';
import table from '../../../components/table.module.css';
import { Badge } from '../../../components/ui/badge';
import type { ModelExport } from '../../../lib/api/get-model-versions';
import { formatGain, formatScore } from '../../../lib/format';
import { exportDownloadUrl } from '../api/create-exports';
import { referencePerplexity, reportRows } from '../utils/export-report';
import { readExportPersonality } from '../utils/personality-report';
import styles from './models.module.css';
import { ExportStatusBadge } from './status-badges';

export function ExportReportTable({ exports }: { exports: readonly ModelExport[] }) {
  if (exports.length === 0) {
    return (
      <p className={muted.small} data-testid="exports-empty">
        No exports yet. Export the version to compare quantized types here.
      </p>
    );
  }
  const rows = reportRows(exports);
  const personalities = new Map(
    exports.map((item) => [item.id, readExportPersonality(item.report)]),
  );
  const withPersonality = [...personalities.values()].some((row) => row !== null);
  return (
    <div className={table.wrap}>
      <table
        className={`${table.table} ${table.top} ${styles.rowHeads}`}
        data-testid="export-report"
      >
        <caption className={styles.caption}>
          Measured against full precision (perplexity {referencePerplexity(exports)}).
        </caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col" className={table.numeric}>
              Size
            </th>
            <th scope="col" className={table.numeric}>
              vs F32
            </th>
            <th scope="col" className={table.numeric}>
              Perplexity
            </th>
            <th scope="col" className={table.numeric}>
              Δ %
            </th>
            <th scope="col" className={table.numeric}>
              KL
            </th>
            <th scope="col" className={table.numeric}>
              Top-1
            </th>
            <th scope="col" className={table.numeric}>
              Tokens/s
            </th>
            <th scope="col">Warnings</th>
            {withPersonality && <th scope="col">Personality vs F32</th>}
            <th scope="col">
              <span className="visually-hidden">Download</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} data-testid="export-row">
              <th scope="row">
                {row.qtype}
                {row.format === 'gguf' && (
                  <span
                    className={muted.small}
                    title={`measured on the ${row.qtype} .sou file it was written from`}
                  >
                    {' '}
                    GGUF
                  </span>
                )}
              </th>
              <td>
                <ExportStatusBadge status={row.status} />
                {row.error && <p className={styles.cellError}>{row.error}</p>}
              </td>
              <td className={table.numeric}>{row.size}</td>
              <td className={table.numeric}>{row.sizeVsF32}</td>
              <td className={table.numeric}>{row.perplexity}</td>
              <td className={table.numeric}>
                {row.degraded ? <Badge tone="warning">{row.deltaPct}</Badge> : row.deltaPct}
              </td>
              <td className={table.numeric}>{row.klDivergence}</td>
              <td className={table.numeric}>{row.top1Agreement}</td>
              <td className={table.numeric}>{row.tokensPerS}</td>
              <td className={styles.warnings}>
                {row.warnings.length === 0 ? '–' : row.warnings.join('; ')}
              </td>
              {withPersonality && <PersonalityCell row={personalities.get(row.id) ?? null} />}
              <td className={table.actions}>
                {row.status === 'ready' && (
                  <a className={linkButton.linkButton} href={exportDownloadUrl(row.id)} download>
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

function PersonalityCell({ row }: { row: ReturnType<typeof readExportPersonality> }) {
  if (row === null) return <td>–</td>;
  if (row.error !== null) {
    return (
      <td data-testid="export-personality">
        <p className={styles.cellError}>Not measured: {row.error}</p>
      </td>
    );
  }
  return (
    <td data-testid="export-personality">
      alignment {formatScore(row.alignment)} ({formatGain(row.alignmentDelta)}) · VADER{' '}
      {formatScore(row.vader)} ({formatGain(row.vaderDelta)})
      <span className={muted.small}>
        {' '}
        {row.personality}, {row.probes ?? '?'} probes
      </span>
    </td>
  );
}
