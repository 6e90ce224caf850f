/**
 * "Evaluations": every evaluation of a model version against this personality (an
 * application's, or the registry gate's before a promotion), with the condition a chat gets,
 * its alignment, the gains over no personality, the perplexity ratio and the chart.
 */
import linkButton from '../../../components/link-button.module.css';
import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { formatGain, formatRatio, formatScore } from '../../../lib/format';
import {
  type PersonalityEvaluation,
  usePersonalityEvaluations,
} from '../api/get-personality-evaluations';
import { JobStatusBadge } from './job-status-badge';
import styles from './personalities.module.css';

export function EvaluationsSection({ personalityId }: { personalityId: number }) {
  const evaluations = usePersonalityEvaluations(personalityId);
  const list = evaluations.data?.results ?? [];
  return (
    <QueryState
      query={evaluations}
      loading="Loading evaluations…"
      failure="Could not load the evaluations."
      statusClassName={muted.small}
      isEmpty={list.length === 0}
      empty={<p className={muted.small}>No model has been evaluated against it yet.</p>}
    >
      <div className={table.wrap}>
        <table className={`${table.table} ${table.top}`} data-testid="personality-evaluations">
          <thead>
            <tr>
              <th scope="col">Model version</th>
              <th scope="col">Status</th>
              <th scope="col">Served as</th>
              <th scope="col" className={table.numeric}>
                Probes
              </th>
              <th scope="col" className={table.numeric}>
                Alignment
              </th>
              <th scope="col" className={table.numeric}>
                Alignment gain
              </th>
              <th scope="col" className={table.numeric}>
                Sentiment gain
              </th>
              <th scope="col" className={table.numeric}>
                Perplexity ratio
              </th>
              <th scope="col">Chart</th>
            </tr>
          </thead>
          <tbody>
            {list.map((evaluation) => (
              <EvaluationRow key={evaluation.id} evaluation={evaluation} />
            ))}
          </tbody>
        </table>
      </div>
    </QueryState>
  );
}

function EvaluationRow({ evaluation }: { evaluation: PersonalityEvaluation }) {
  return (
    <tr data-testid="personality-evaluation-row">
      <td>
        {evaluation.model_version_label}
        <span className={`${muted.small} ${styles.nameCell}`}>
          against v{evaluation.personality_version_number}
        </span>
      </td>
      <td>
        <JobStatusBadge status={evaluation.status} progress={evaluation.progress} />
        {evaluation.error && <p className={styles.error}>{evaluation.error}</p>}
      </td>
      <td>{evaluation.served ?? '–'}</td>
      <td className={table.numeric}>{evaluation.probes}</td>
      <td className={table.numeric}>{formatScore(evaluation.alignment)}</td>
      <td className={table.numeric}>{formatGain(evaluation.alignment_gain)}</td>
      <td className={table.numeric}>{formatGain(evaluation.vader_gain)}</td>
      <td className={table.numeric}>{formatRatio(evaluation.perplexity_ratio)}</td>
      <td>
        {evaluation.status === 'ready' && evaluation.has_chart ? (
          <a
            className={linkButton.linkButton}
            href={`/api/v1/personality-evaluations/${evaluation.id}/chart/`}
          >
            Chart (PNG)
          </a>
        ) : (
          '–'
        )}
      </td>
    </tr>
  );
}
