/**
 * "Applied to models": every model version this personality was applied to, by which method,
 * the new version it made, the evaluation's alignment and sentiment gains over no
 * personality, and its chart.
 */
import { Link } from 'react-router';

import linkButton from '../../../components/link-button.module.css';
import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { formatGain } from '../../../lib/format';
import {
  type PersonalityApplication,
  usePersonalityApplications,
} from '../api/get-personality-applications';
import { JobStatusBadge } from './job-status-badge';
import styles from './personalities.module.css';

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
      <div className={table.wrap}>
        <table className={`${table.table} ${table.top}`} data-testid="personality-applications">
          <thead>
            <tr>
              <th scope="col">Model version</th>
              <th scope="col">Method</th>
              <th scope="col">Status</th>
              <th scope="col">New version</th>
              <th scope="col" className={table.numeric}>
                Alignment gain
              </th>
              <th scope="col" className={table.numeric}>
                Sentiment gain
              </th>
              <th scope="col">Chart</th>
            </tr>
          </thead>
          <tbody>
            {list.map((application) => (
              <ApplicationRow key={application.id} application={application} />
            ))}
          </tbody>
        </table>
      </div>
    </QueryState>
  );
}

function ApplicationRow({ application }: { application: PersonalityApplication }) {
  const evaluation = application.evaluation;
  const chart = evaluation?.status === 'ready' && evaluation.has_chart;
  return (
    <tr data-testid="personality-application-row">
      <td>
        {application.model_version_label}
        <span className={`${muted.small} ${styles.nameCell}`}>
          with v{application.personality_version_number}
        </span>
      </td>
      <td>{METHODS[application.method]}</td>
      <td>
        <JobStatusBadge status={application.status} progress={application.progress} />
        {application.error && <p className={styles.error}>{application.error}</p>}
      </td>
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
      <td>
        {chart ? (
          <a
            className={linkButton.linkButton}
            href={`/api/v1/personality-applications/${application.id}/chart/`}
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
