/**
 * An application's evaluation report: the served condition's alignment and its gains in
 * alignment and sentiment (VADER) over no personality, the perplexity ratio, every
 * condition's numbers side by side, the chart, and the sample answers per probe with each
 * condition's answer next to the others.
 */
import linkButton from '../../../components/link-button.module.css';
import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import stack from '../../../components/stack.module.css';
import table from '../../../components/table.module.css';
import terms from '../../../components/term-list.module.css';
import { formatGain, formatRatio, formatScore } from '../../../lib/format';
import {
  applicationChartUrl,
  type EvaluationReport,
  useApplicationReport,
} from '../api/get-application-report';
import { conditionLabel, orderedConditions } from '../utils/personality-report';
import styles from './models.module.css';

export function ApplicationReport({ applicationId }: { applicationId: number }) {
  const report = useApplicationReport(applicationId, { enabled: true });
  return (
    <QueryState
      query={report}
      loading="Loading the evaluation report…"
      failure="Could not load the evaluation report."
      statusClassName={muted.small}
    >
      {report.data && (
        <ReportView report={report.data} chartUrl={applicationChartUrl(applicationId)} />
      )}
    </QueryState>
  );
}

export function ReportView({ report, chartUrl }: { report: EvaluationReport; chartUrl: string }) {
  const conditions = orderedConditions(Object.keys(report.conditions));
  return (
    <div className={`${stack.stack} ${styles.shrink}`} data-testid="application-report">
      <dl className={`${terms.list} ${terms.figures} ${styles.stats}`}>
        <div>
          <dt>Alignment ({conditionLabel(report.served)})</dt>
          <dd data-testid="report-alignment">{formatScore(report.alignment)}</dd>
        </div>
        <div>
          <dt>Alignment gain</dt>
          <dd data-testid="report-alignment-gain">{formatGain(report.alignment_gain)}</dd>
        </div>
        <div>
          <dt>Sentiment (VADER) gain</dt>
          <dd data-testid="report-vader-gain">{formatGain(report.vader_gain)}</dd>
        </div>
        <div>
          <dt>Perplexity ratio</dt>
          <dd data-testid="report-perplexity-ratio">{formatRatio(report.perplexity_ratio)}</dd>
        </div>
      </dl>
      <p className={muted.small}>
        {report.probes} probes, answers of up to {report.max_tokens} tokens; gains are against the
        same model with no personality.
      </p>

      <div className={table.wrap}>
        <table className={`${table.table} ${styles.rowHeads}`} data-testid="report-conditions">
          <thead>
            <tr>
              <th scope="col">Condition</th>
              <th scope="col" className={table.numeric}>
                Alignment
              </th>
              <th scope="col" className={table.numeric}>
                VADER
              </th>
              <th scope="col" className={table.numeric}>
                Δ alignment
              </th>
              <th scope="col" className={table.numeric}>
                Δ VADER
              </th>
              <th scope="col" className={table.numeric}>
                Perplexity
              </th>
              <th scope="col" className={table.numeric}>
                Ratio
              </th>
            </tr>
          </thead>
          <tbody>
            {conditions.map((name) => {
              const condition = report.conditions[name];
              const delta = report.deltas[name];
              return (
                <tr key={name}>
                  <th scope="row">{conditionLabel(name)}</th>
                  <td className={table.numeric}>{formatScore(condition?.alignment)}</td>
                  <td className={table.numeric}>
                    {formatScore(condition?.metrics.vader_compound)}
                  </td>
                  <td className={table.numeric}>
                    {name === 'none' ? '–' : formatGain(delta?.alignment)}
                  </td>
                  <td className={table.numeric}>
                    {name === 'none' ? '–' : formatGain(delta?.vader_compound)}
                  </td>
                  <td className={table.numeric}>{formatScore(condition?.perplexity, 2)}</td>
                  <td className={table.numeric}>{formatRatio(condition?.perplexity_ratio)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <figure className={stack.stack}>
        <img
          className={styles.chart}
          src={chartUrl}
          alt="Alignment and sentiment of each condition, against no personality"
          data-testid="report-chart"
        />
        <figcaption>
          <a className={linkButton.linkButton} href={chartUrl} download>
            Download chart (PNG)
          </a>
        </figcaption>
      </figure>

      <SampleAnswers answers={report.answers} conditions={conditions} />
    </div>
  );
}

function SampleAnswers({
  answers,
  conditions,
}: {
  answers: EvaluationReport['answers'];
  conditions: readonly string[];
}) {
  if (answers.length === 0) return null;
  return (
    <details open={answers.length <= 3}>
      <summary>Sample answers ({answers.length})</summary>
      <ol className={stack.list} data-testid="report-answers">
        {answers.map((answer, index) => (
          <li key={index} className={stack.stack}>
            <p>
              <span className={muted.small}>{answer.category}</span>{' '}
              <strong>{answer.prompt}</strong>
            </p>
            <dl className={styles.answers}>
              {conditions
                .filter((name) => answer[name] !== undefined)
                .map((name) => (
                  <div key={name}>
                    <dt className={muted.small}>{conditionLabel(name)}</dt>
                    <dd>
                      <blockquote>{answer[name] || '(empty answer)'}</blockquote>
                    </dd>
                  </div>
                ))}
            </dl>
          </li>
        ))}
      </ol>
    </details>
  );
}
