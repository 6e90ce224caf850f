/** A team's pending invitations, for its admins: who, at which role, until when; revoke. */
import { useState } from 'react';

import { EmptyState } from '../../../components/empty-state';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { formatDateTime } from '../../../lib/format';
import { useInvitations } from '../api/get-invitations';
import { useRevokeInvitation } from '../api/revoke-invitation';

export function InvitationsList({ teamId }: { teamId: number }) {
  const invitations = useInvitations(teamId, true);
  const revoke = useRevokeInvitation(teamId);
  // Read once per visit: a link that expires while the page is open keeps its date shown.
  const [now] = useState(() => Date.now());
  return (
    <QueryState
      query={invitations}
      loading="Loading invitations…"
      failure="Could not load the invitations."
      isEmpty={invitations.data?.results.length === 0}
      empty={<EmptyState title="No pending invitations" description="Invite someone above." />}
    >
      <div className={table.wrap}>
        <table className={table.table}>
          <caption className="visually-hidden">Pending invitations</caption>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Role</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {invitations.data?.results.map((invitation) => (
              <tr key={invitation.id} data-testid="invitation-row">
                <th scope="row">{invitation.email}</th>
                <td>{invitation.role}</td>
                <td>
                  {Date.parse(invitation.expires_at) <= now ? (
                    <Badge tone="warning">expired</Badge>
                  ) : (
                    formatDateTime(invitation.expires_at)
                  )}
                </td>
                <td className={table.actions}>
                  <Button
                    size="small"
                    variant="ghost"
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate(invitation.id)}
                  >
                    Revoke
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </QueryState>
  );
}
