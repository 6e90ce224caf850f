/**
 * One personality's page (`/personalities/:id`): its kind and version, a neural version's
 * training live, its traits as a radar chart with the prompt and sampling it gives a model,
 * metric targets against what the last scored texts measured, the "Score texts" panel, its
 * versions, the model versions it was applied to and their evaluations. Who may edit it
 * (its owner, a team member, a write share) can make a new version; who may delete it can
 * delete it; anyone can copy it or download a ready version for the CLI. What the text caps cut from the version's texts is
 * said under its badges.
 */
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';

import linkButton from '../../../components/link-button.module.css';
import muted from '../../../components/muted.module.css';
import { AccessBadge } from '../../../components/access-badge';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import section from '../../../components/section.module.css';
import { ShareDialog } from '../../../components/sharing/share-dialog';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { allows } from '../../../lib/access-actions';
import { personalityVersionDownloadUrl } from '../api/download-personality-version';
import { type Personality, usePersonality } from '../api/get-personality';
import type { PersonalityScore } from '../api/score-personality';
import { useTrainingSocket } from '../hooks/use-training-socket';
import { ApplicationsSection } from './applications-section';
import { KindBadge, TrainingBadge } from './badges';
import { BehaviourPanel } from './behaviour-panel';
import { CopyButton } from './copy-button';
import { DeletePersonalityDialog } from './delete-personality-dialog';
import { EditPersonalityDialog } from './edit-personality-dialog';
import { EvaluationsSection } from './evaluations-section';
import { MetricTargets } from './metric-targets';
import styles from './personalities.module.css';
import { ScorePanel } from './score-panel';
import { TrainingPanel } from './training-panel';
import { VersionsTable } from './versions-table';

interface PersonalityPageProps {
  personalityId: number;
  /** Opens the training socket; tests pass a fake. */
  createSocket?: (url: string) => WebSocket;
}

export function PersonalityPage({ personalityId, createSocket }: PersonalityPageProps) {
  // The training socket (or its own polling) keeps a training version fresh.
  const personality = usePersonality(personalityId, { poll: false });
  const version = personality.data?.current_version ?? null;
  useTrainingSocket(
    personalityId,
    version?.status === 'training' ? version.id : null,
    createSocket,
  );

  if (!personality.data) {
    return (
      <Page title="Personality">
        <QueryState
          query={personality}
          loading="Loading the personality…"
          failure="Could not load this personality."
          statusClassName={muted.small}
        >
          {null}
        </QueryState>
        <Link to="/personalities">All personalities</Link>
      </Page>
    );
  }
  // Keyed by version: scores measured against the previous version do not carry over.
  return <PersonalityView key={version?.id} personality={personality.data} />;
}

function PersonalityView({ personality }: { personality: Personality }) {
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [score, setScore] = useState<PersonalityScore | null>(null);
  const version = personality.current_version;

  const notices = (version?.provenance.notices as string[] | undefined) ?? [];
  // Built-ins are read-only whatever the role says.
  const mayEdit = !personality.builtin && allows(personality.access_role, 'edit');
  const mayDelete = !personality.builtin && allows(personality.access_role, 'delete');

  const actions = (
    <>
      <CopyButton personality={personality} />
      {version?.status === 'ready' && (
        <a
          className={linkButton.linkButton}
          href={personalityVersionDownloadUrl(version.id)}
          download
          aria-label={`Download version ${version.number} for the command line`}
        >
          Download
        </a>
      )}
      {!personality.builtin && <ShareDialog kind="personality" id={personality.id} />}
      {mayEdit && (
        <Button size="small" onClick={() => setEditing(true)}>
          Edit
        </Button>
      )}
      {mayDelete && (
        <Button size="small" variant="danger" onClick={() => setDeleting(true)}>
          Delete
        </Button>
      )}
    </>
  );

  return (
    <Page title={personality.name} lead={personality.description || undefined} actions={actions}>
      <div className={styles.sections}>
        <p className={styles.badges} data-testid="personality-badges">
          <KindBadge kind={personality.kind} />
          {personality.builtin ? (
            <Badge tone="neutral">built-in</Badge>
          ) : (
            <AccessBadge accessRole={personality.access_role} />
          )}
          {version && <span className={muted.small}>version {version.number}</span>}
          <TrainingBadge version={version} />
          <Link className={muted.small} to="/personalities">
            All personalities
          </Link>
        </p>
        {notices.length > 0 && (
          <p role="status" className={muted.small} data-testid="personality-notices">
            {notices.join('; ')}
          </p>
        )}
        {version && personality.kind === 'neural' && <TrainingPanel version={version} />}
        {version && <BehaviourPanel version={version} />}
        {version?.status === 'ready' && (
          <>
            <MetricTargets targets={version.target_ranges} measured={score?.profile ?? null} />
            <ScorePanel personalityId={personality.id} onScored={setScore} />
          </>
        )}
        <section aria-labelledby="versions-title" className={section.detail}>
          <h2 id="versions-title" className={section.subheading}>
            Versions
          </h2>
          <VersionsTable personalityId={personality.id} currentVersionId={version?.id ?? null} />
        </section>
        <section aria-labelledby="applications-title" className={section.detail}>
          <h2 id="applications-title" className={section.subheading}>
            Applied to models
          </h2>
          <ApplicationsSection personalityId={personality.id} />
        </section>
        <section aria-labelledby="evaluations-title" className={section.detail}>
          <h2 id="evaluations-title" className={section.subheading}>
            Evaluations
          </h2>
          <EvaluationsSection personalityId={personality.id} />
        </section>
      </div>
      {mayEdit && (
        <EditPersonalityDialog personality={personality} open={editing} onOpenChange={setEditing} />
      )}
      {mayDelete && (
        <DeletePersonalityDialog
          personality={personality}
          open={deleting}
          onOpenChange={setDeleting}
          onDeleted={() => void navigate('/personalities')}
        />
      )}
    </Page>
  );
}
