/**
 * "Applied to models": every model version this personality was applied to, by which method,
 * the new version it made, the evaluation's alignment and sentiment gains over no
 * personality, and its chart.
 */
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { formatGain } from '../../../lib/format';
import {
  type PersonalityApplication,
  usePersonalityApplications,
} from '../api/get-personality-applications';
import { ChartCell, type JobColumn, JobStatusCell, JobTable, VersionCell } from './job-table';

const COLUMNS: readonly JobColumn[] = [
  { label: 'Model version' },
  { label: 'Method' },
  { label: 'Status' },
  { label: 'New version' },
  { label: 'Alignment gain', numeric: true },
  { label: 'Sentiment gain', numeric: true },
  { label: 'Chart' },
];

const METHODS: Record<PersonalityApplication['method'], string> = {
  steering: 'steering',
  lora: 'persona LoRA',
  prompt: 'system prompt',
};

export function ApplicationsSection({ personalityId }: { personalityId: number }) {
  const applications = usePersonalityApplications(personalityId);
  const list = applications.data?.results ?? [];
  return (
    <QueryState
      query={applications}
      loading="Loading the models it was applied to…"
      failure="Could not load the models it was applied to."
      statusClassName={muted.small}
      isEmpty={list.length === 0}
      empty={
        <p className={muted.small}>
          Not applied to a model yet. Applying it by steering, persona LoRA or system prompt makes a
          new model version, evaluated on the probes.
        </p>
      }
    >
      <JobTable columns={COLUMNS} data-testid="personality-applications">
        {list.map((application) => (
          <ApplicationRow key={application.id} application={application} />
        ))}
      </JobTable>
    </QueryState>
  );
}

function ApplicationRow({ application }: { application: PersonalityApplication }) {
  const evaluation = application.evaluation;
  const chart = evaluation?.status === 'ready' && evaluation.has_chart;
  return (
    <tr data-testid="personality-application-row">
      <VersionCell
        label={application.model_version_label}
        note={`with v${application.personality_version_number}`}
      />
      <td>{METHODS[application.method]}</td>
      <JobStatusCell
        status={application.status}
        progress={application.progress}
        error={application.error}
      />
      <td>
        {application.result_version ? (
          <Link
            to={`/models?model=${application.registered_model}&version=${application.result_version}`}
          >
            {application.result_version_label}
          </Link>
        ) : (
          '–'
        )}
      </td>
      <td className={table.numeric}>{formatGain(evaluation?.alignment_gain)}</td>
      <td className={table.numeric}>{formatGain(evaluation?.vader_gain)}</td>
      <ChartCell
        href={chart ? `/api/v1/personality-applications/${application.id}/chart/` : null}
      />
    </tr>
  );
}
