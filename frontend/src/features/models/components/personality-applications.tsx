/**
 * A version's personalities: "Apply a personality…", the applications of this version (and
 * the one that made it, when it is a result) with their live progress, and the chosen one's
 * evaluation report once it is ready, with a link to the version it made.
 */
import { useState } from 'react';
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import stack from '../../../components/stack.module.css';
import table from '../../../components/table.module.css';
import { Badge, type BadgeTone } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { ProgressBar } from '../../../components/ui/progress-bar';
import { useToast } from '../../../components/ui/toast';
import { allows } from '../../../lib/access-actions';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import {
  isRunning,
  type PersonalityApplication,
  useVersionApplications,
} from '../api/get-personality-applications';
import { usePersonalityJobUpdates } from '../hooks/use-personality-job-updates';
import { ApplicationReport } from './application-report';
import { ApplyPersonalityDialog, METHODS } from './apply-personality-dialog';
import styles from './models.module.css';

const TONES: Record<string, BadgeTone> = {
  queued: 'neutral',
  running: 'info',
  ready: 'success',
  failed: 'danger',
};

function methodLabel(method: PersonalityApplication['method']): string {
  return METHODS.find((item) => item.value === method)?.label ?? method;
}

export function PersonalityApplications({ version }: { version: ModelVersion }) {
  usePersonalityJobUpdates();
  const applications = useVersionApplications(version.id);
  const toast = useToast();
  const [applyOpen, setApplyOpen] = useState(false);
  const [chosenId, setChosenId] = useState<number | null>(null);
  const list = applications.data ?? [];
  const chosen = list.find((item) => item.id === chosenId) ?? list[0] ?? null;
  const ready = version.status === 'ready';

  return (
    <div className={`${stack.stack} ${styles.shrink}`}>
      {allows(version.access_role, 'run') && (
        <div>
          <Button
            disabled={!ready}
            title={ready ? undefined : 'The version must finish importing first'}
            onClick={() => setApplyOpen(true)}
          >
            Apply a personality…
          </Button>
        </div>
      )}
      <QueryState
        query={applications}
        loading="Loading the personalities applied…"
        failure="Could not load the personalities applied."
        statusClassName={muted.small}
        isEmpty={list.length === 0}
        empty={
          <p className={muted.small} data-testid="applications-empty">
            No personality applied yet. Applying one makes a new version, measured on the evaluation
            probes.
          </p>
        }
      >
        <div className={table.wrap}>
          <table className={table.table} data-testid="version-applications">
            <thead>
              <tr>
                <th scope="col">Personality</th>
                <th scope="col">Method</th>
                <th scope="col">Status</th>
                <th scope="col">Version</th>
              </tr>
            </thead>
            <tbody>
              {list.map((application) => (
                <tr key={application.id} aria-selected={application.id === chosen?.id}>
                  <td>
                    <button
                      type="button"
                      className={styles.rowButton}
                      onClick={() => setChosenId(application.id)}
                    >
                      {application.personality_name} v{application.personality_version_number}
                    </button>
                  </td>
                  <td>{methodLabel(application.method)}</td>
                  <td>
                    <Badge tone={TONES[application.status ?? 'queued'] ?? 'neutral'}>
                      {application.status}
                    </Badge>
                  </td>
                  <td>
                    {application.result_version === version.id ? (
                      <span className={muted.small}>
                        made this version from {application.model_version_label}
                      </span>
                    ) : (
                      <ResultLink application={application} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {chosen && <ApplicationStatus key={chosen.id} application={chosen} />}
      </QueryState>

      <ApplyPersonalityDialog
        open={applyOpen}
        onOpenChange={setApplyOpen}
        version={version}
        onApplied={(application) => {
          setApplyOpen(false);
          setChosenId(application.id);
          toast.add({
            title: `Applying ${application.personality_name} by ${methodLabel(application.method).toLowerCase()}`,
            description: 'Its progress and then its evaluation report appear below.',
          });
        }}
      />
    </div>
  );
}

function ResultLink({ application }: { application: PersonalityApplication }) {
  if (application.result_version == null) return <span className={muted.small}>–</span>;
  return (
    <Link
      to={`/models?model=${application.registered_model}&version=${application.result_version}`}
      data-testid="application-result-link"
    >
      {application.result_version_label}
    </Link>
  );
}

/** Where the chosen application stands: its progress while it runs, why it failed, or its report. */
function ApplicationStatus({ application }: { application: PersonalityApplication }) {
  const progress = application.progress ?? 0;
  return (
    <section
      className={`${stack.stack} ${styles.shrink}`}
      aria-label={`${application.personality_name} by ${methodLabel(application.method)}`}
      data-testid="application-status"
    >
      {isRunning(application) && (
        <ProgressBar
          value={application.status === 'queued' ? null : Math.round(progress * 100)}
          label={application.status === 'queued' ? 'Queued' : application.stage || 'Running'}
          valueText={
            application.status === 'queued'
              ? 'waiting for a worker'
              : `${Math.round(progress * 100)}%`
          }
          data-testid="application-progress"
        />
      )}
      {application.status === 'failed' && (
        <p role="alert" className={styles.errorText}>
          The application failed. {application.error}
        </p>
      )}
      {application.status === 'ready' && application.result_version != null && (
        <p>
          New version: <ResultLink application={application} />
        </p>
      )}
      {application.status === 'ready' && <ApplicationReport applicationId={application.id} />}
    </section>
  );
}
