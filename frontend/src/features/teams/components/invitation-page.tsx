/**
 * `/invitations/:token`, where an invitation e-mail's link lands: which team and role it
 * offers and an Accept button, or why the link no longer works. Django sends visitors who
 * are not signed in to the login page first and back here after.
 */
import { useNavigate } from 'react-router';

import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import stack from '../../../components/stack.module.css';
import termList from '../../../components/term-list.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { useToast } from '../../../components/ui/toast';
import { formatDateTime } from '../../../lib/format';
import { useMe } from '../../../lib/api/get-me';
import { useAcceptInvitation } from '../api/accept-invitation';
import { useInvitationPreview } from '../api/preview-invitation';

export function InvitationPage({ token }: { token: string }) {
  const preview = useInvitationPreview(token);
  const accept = useAcceptInvitation();
  const me = useMe();
  const navigate = useNavigate();
  const toast = useToast();
  const next = encodeURIComponent(`/invitations/${token}`);

  function join() {
    accept.mutate(token, {
      onSuccess: (team) => {
        toast.add({ title: `You joined ${team.name}` });
        void navigate(`/teams/${team.id}`);
      },
    });
  }

  return (
    <Page title="Team invitation">
      <QueryState
        query={preview}
        loading="Reading the invitation…"
        failure="This invitation cannot be used."
      >
        {preview.data && (
          <div className={stack.stack} data-testid="invitation">
            <dl className={termList.list}>
              <dt>Team</dt>
              <dd data-testid="invitation-team">{preview.data.team_name}</dd>
              <dt>Your role</dt>
              <dd>{preview.data.role}</dd>
              <dt>Sent to</dt>
              <dd>{preview.data.email}</dd>
              {preview.data.invited_by && (
                <>
                  <dt>Invited by</dt>
                  <dd>{preview.data.invited_by}</dd>
                </>
              )}
              <dt>Link expires</dt>
              <dd>{formatDateTime(preview.data.expires_at)}</dd>
            </dl>
            <div>
              <Button variant="primary" onClick={join} disabled={accept.isPending}>
                Accept invitation
              </Button>
            </div>
            {accept.error && <FormError>{accept.error.message}</FormError>}
          </div>
        )}
      </QueryState>
      <p className={muted.text}>
        {me.data && `Signed in as ${me.data.email}. `}
        Invited at another address?{' '}
        <a href={`/accounts/logout/?next=${encodeURIComponent(`/accounts/login/?next=${next}`)}`}>
          Log in with that address
        </a>
        .
      </p>
    </Page>
  );
}
