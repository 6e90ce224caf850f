/**
 * The "Share" button of every shareable object's page and its dialog: who can see the object
 * (its owner or owning team, the teams it is shared with, your own access), and for those
 * who may share it, sharing with one of their teams at read or write, taking a share back,
 * and moving it into a team's ownership or back to themselves.
 */
import { useState } from 'react';

import { accessLabel } from '../../lib/access-role';
import { ApiError } from '../../lib/api-client';
import { roleAtLeast, useTeams } from '../../lib/api/get-teams';
import {
  canShare,
  type ShareKind,
  useMove,
  useShare,
  useUnshare,
  useVisibility,
  type Visibility,
} from '../../lib/api/sharing';
import { submitErrors } from '../../lib/submit-errors';
import muted from '../muted.module.css';
import { QueryState } from '../query-state';
import stack from '../stack.module.css';
import { Badge } from '../ui/badge';
import { Button } from '../ui/button';
import { Dialog, DialogActions, DialogClose } from '../ui/dialog';
import { Form, FormError } from '../ui/form';
import { SelectField } from '../ui/select-field';
import styles from './share-dialog.module.css';

interface ShareDialogProps {
  kind: ShareKind;
  id: number;
}

export function ShareDialog({ kind, id }: ShareDialogProps) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button onClick={() => setOpen(true)} data-testid="share-button">
        Share
      </Button>
      <Dialog
        open={open}
        onOpenChange={setOpen}
        title="Sharing"
        description="Who can see this, and which of your teams it is shared with."
        data-testid="share-dialog"
      >
        {/* Mounted only while open, so closed pages do not ask who can see them. */}
        <SharePanel kind={kind} id={id} />
        <DialogActions>
          <DialogClose>Done</DialogClose>
        </DialogActions>
      </Dialog>
    </>
  );
}

function SharePanel({ kind, id }: ShareDialogProps) {
  const visibility = useVisibility(kind, id);
  return (
    <QueryState
      query={visibility}
      loading="Loading who can see it…"
      failure="Could not load its sharing."
    >
      {visibility.data && <SharePanelContent kind={kind} id={id} visibility={visibility.data} />}
    </QueryState>
  );
}

function SharePanelContent({
  kind,
  id,
  visibility,
}: ShareDialogProps & { visibility: Visibility }) {
  const sharer = canShare(visibility.access_role);
  const unshare = useUnshare(kind, id);
  const owner = visibility.team_name
    ? `the team ${visibility.team_name}`
    : visibility.access_role === 'owner'
      ? 'you'
      : (visibility.owner_email ?? 'SloughGPT (built in)');
  return (
    <div className={stack.stack}>
      <p data-testid="share-owner">
        Owned by <strong>{owner}</strong>. Your access:{' '}
        <Badge>{accessLabel(visibility.access_role)}</Badge>
      </p>
      {visibility.shares.length === 0 ? (
        <p className={muted.text}>Not shared with any team.</p>
      ) : (
        <ul className={stack.list} aria-label="Shared with">
          {visibility.shares.map((share) => (
            <li key={share.team_id} className={styles.share} data-testid="share-row">
              <span>
                {share.team_name} <Badge tone="info">{share.level}</Badge>
              </span>
              {sharer && (
                <Button
                  size="small"
                  variant="ghost"
                  disabled={unshare.isPending}
                  onClick={() => unshare.mutate(share.team_id)}
                >
                  Remove {share.team_name}
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {unshare.error && <FormError>{unshare.error.message}</FormError>}
      {sharer && <AddShareForm kind={kind} id={id} visibility={visibility} />}
      {sharer && kind !== 'conversation' && (
        <MoveForm kind={kind} id={id} visibility={visibility} />
      )}
    </div>
  );
}

function AddShareForm({ kind, id, visibility }: ShareDialogProps & { visibility: Visibility }) {
  const teams = useTeams();
  const share = useShare(kind, id);
  const [errors, setErrors] = useState<{ fields: ApiError['fields']; form: string | null }>({
    fields: {},
    form: null,
  });
  const choices = (teams.data?.results ?? []).filter((team) => team.id !== visibility.team_id);
  if (teams.isSuccess && choices.length === 0) {
    return <p className={muted.text}>Join or create a team on the Teams page to share this.</p>;
  }
  const levels =
    kind === 'conversation'
      ? [{ value: 'read', label: 'Read' }]
      : [
          { value: 'read', label: 'Read' },
          { value: 'write', label: 'Read and write' },
        ];

  function submit(values: Record<string, unknown>) {
    setErrors({ fields: {}, form: null });
    share.mutate(
      {
        team_id: Number(values.team_id),
        level: typeof values.level === 'string' ? values.level : 'read',
      },
      { onError: (error) => setErrors(submitErrors(error, new Set(['team_id', 'level']))) },
    );
  }

  return (
    <Form errors={errors.fields} onFormSubmit={submit} aria-label="Share with a team">
      <div className={styles.row}>
        <SelectField
          name="team_id"
          label="Team"
          options={choices.map((team) => ({ value: String(team.id), label: team.name }))}
          required
        />
        <SelectField name="level" label="Access" options={levels} defaultValue="read" />
      </div>
      {errors.form && <FormError>{errors.form}</FormError>}
      <div>
        <Button type="submit" variant="primary" disabled={share.isPending || !teams.isSuccess}>
          Share with team
        </Button>
      </div>
    </Form>
  );
}

function MoveForm({ kind, id, visibility }: ShareDialogProps & { visibility: Visibility }) {
  const teams = useTeams();
  const move = useMove(kind, id);
  const targets = (teams.data?.results ?? []).filter(
    (team) => team.id !== visibility.team_id && roleAtLeast(team.role, 'member'),
  );
  const fail = move.error instanceof ApiError ? move.error.fieldMessage('team_id') : undefined;

  return (
    <section className={stack.stack} aria-label="Ownership">
      {targets.length > 0 && (
        <Form
          onFormSubmit={(values) => move.mutate({ team_id: Number(values.team_id) })}
          aria-label="Move into a team"
        >
          <SelectField
            name="team_id"
            label="Move into a team (the team owns it; its admins decide who sees it)"
            options={targets.map((team) => ({ value: String(team.id), label: team.name }))}
            required
          />
          <div>
            <Button type="submit" disabled={move.isPending}>
              Move into team
            </Button>
          </div>
        </Form>
      )}
      {visibility.team_id !== null && (
        <div>
          <Button disabled={move.isPending} onClick={() => move.mutate({ team_id: null })}>
            Make it mine (private)
          </Button>
        </div>
      )}
      {move.error && <FormError>{fail ?? move.error.message}</FormError>}
    </section>
  );
}
