/**
 * "Evaluations": every evaluation of a model version against this personality (an
 * application's, or the registry gate's before a promotion), with the condition a chat gets,
 * its alignment, the gains over no personality, the perplexity ratio and the chart.
 */
import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { formatGain, formatRatio, formatScore } from '../../../lib/format';
import {
  type PersonalityEvaluation,
  usePersonalityEvaluations,
} from '../api/get-personality-evaluations';
import { ChartCell, type JobColumn, JobStatusCell, JobTable, VersionCell } from './job-table';

const COLUMNS: readonly JobColumn[] = [
  { label: 'Model version' },
  { label: 'Status' },
  { label: 'Served as' },
  { label: 'Probes', numeric: true },
  { label: 'Alignment', numeric: true },
  { label: 'Alignment gain', numeric: true },
  { label: 'Sentiment gain', numeric: true },
  { label: 'Perplexity ratio', numeric: true },
  { label: 'Chart' },
];

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
      <JobTable columns={COLUMNS} data-testid="personality-evaluations">
        {list.map((evaluation) => (
          <EvaluationRow key={evaluation.id} evaluation={evaluation} />
        ))}
      </JobTable>
    </QueryState>
  );
}

function EvaluationRow({ evaluation }: { evaluation: PersonalityEvaluation }) {
  const chart = evaluation.status === 'ready' && evaluation.has_chart;
  return (
    <tr data-testid="personality-evaluation-row">
      <VersionCell
        label={evaluation.model_version_label}
        note={`against v${evaluation.personality_version_number}`}
      />
      <JobStatusCell
        status={evaluation.status}
        progress={evaluation.progress}
        error={evaluation.error}
      />
      <td>{evaluation.served ?? '–'}</td>
      <td className={table.numeric}>{evaluation.probes}</td>
      <td className={table.numeric}>{formatScore(evaluation.alignment)}</td>
      <td className={table.numeric}>{formatGain(evaluation.alignment_gain)}</td>
      <td className={table.numeric}>{formatGain(evaluation.vader_gain)}</td>
      <td className={table.numeric}>{formatRatio(evaluation.perplexity_ratio)}</td>
      <ChartCell href={chart ? `/api/v1/personality-evaluations/${evaluation.id}/chart/` : null} />
    </tr>
  );
}
