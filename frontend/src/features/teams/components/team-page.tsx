/**
 * One team's page: its members and their roles, the team's use of its plan's limits, renaming
 * it, inviting by e-mail and the pending invitations (admins and owners), handing the team
 * over, leaving it and deleting it.
 */
import { useState } from 'react';
import { useNavigate } from 'react-router';

import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import section from '../../../components/section.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { ConfirmDialog } from '../../../components/ui/dialog';
import { FormError } from '../../../components/ui/form';
import { useToast } from '../../../components/ui/toast';
import { UsageBars } from '../../../components/usage-bars';
import { useMe } from '../../../lib/api/get-me';
import { roleAtLeast } from '../../../lib/api/get-teams';
import { useDeleteTeam } from '../api/delete-team';
import { type TeamDetail, type TeamMember, useTeam } from '../api/get-team';
import { useTeamUsage } from '../api/get-team-usage';
import { useLeaveTeam } from '../api/leave-team';
import { useRemoveMember } from '../api/remove-member';
import { useTransferTeam } from '../api/transfer-team';
import { useUpdateMember } from '../api/update-member';
import { InvitationsList } from './invitations-list';
import { InviteForm } from './invite-form';
import { MembersTable } from './members-table';
import { RenameForm } from './rename-form';

export function TeamPage({ teamId }: { teamId: number }) {
  const team = useTeam(teamId);
  return (
    <QueryState query={team} loading="Loading the team…" failure="Could not load this team.">
      {team.data && <TeamContent team={team.data} />}
    </QueryState>
  );
}

type Confirm = 'leave' | 'delete' | { transfer: TeamMember } | null;

function TeamContent({ team }: { team: TeamDetail }) {
  const me = useMe();
  const navigate = useNavigate();
  const toast = useToast();
  const updateMember = useUpdateMember(team.id);
  const removeMember = useRemoveMember(team.id);
  const transfer = useTransferTeam(team.id);
  const leave = useLeaveTeam();
  const remove = useDeleteTeam();
  const [confirm, setConfirm] = useState<Confirm>(null);
  const admin = roleAtLeast(team.role, 'admin');
  const memberError = updateMember.error ?? removeMember.error;

  function leaveTeam() {
    leave.mutate(team.id, {
      onSuccess: () => {
        toast.add({ title: `You left ${team.name}` });
        void navigate('/teams');
      },
    });
  }

  function deleteTeam() {
    remove.mutate(team.id, {
      onSuccess: () => {
        toast.add({ title: `${team.name} deleted` });
        void navigate('/teams');
      },
    });
  }

  function transferTo(member: TeamMember) {
    transfer.mutate(member.user_id, {
      onSuccess: () => {
        toast.add({ title: `${member.email} now owns ${team.name}` });
        setConfirm(null);
      },
    });
  }

  return (
    <Page
      title={team.name}
      lead={`${team.description ? `${team.description} · ` : ''}Your role: ${team.role}`}
      actions={
        <>
          <Button onClick={() => setConfirm('leave')}>Leave team</Button>
          {team.role === 'owner' && (
            <Button variant="danger" onClick={() => setConfirm('delete')}>
              Delete team
            </Button>
          )}
        </>
      }
    >
      <section className={stack.stack} aria-labelledby="members-title">
        <header className={`${section.header} ${section.smallTitle}`}>
          <h2 id="members-title">Members</h2>
        </header>
        <MembersTable
          members={team.members}
          myRole={team.role}
          myId={me.data?.id}
          pending={updateMember.isPending || removeMember.isPending}
          onRoleChange={(member, role) => updateMember.mutate({ userId: member.user_id, role })}
          onRemove={(member) => removeMember.mutate(member.user_id)}
          onTransfer={(member) => setConfirm({ transfer: member })}
        />
        {memberError && <FormError>{memberError.message}</FormError>}
      </section>

      <TeamUsageSection teamId={team.id} />

      {admin && (
        <section className={stack.stack} aria-labelledby="rename-title">
          <header className={`${section.header} ${section.smallTitle}`}>
            <h2 id="rename-title">Name</h2>
          </header>
          <RenameForm key={team.name} team={team} />
        </section>
      )}

      {admin && (
        <section className={stack.stack} aria-labelledby="invite-title">
          <header className={`${section.header} ${section.smallTitle}`}>
            <h2 id="invite-title">Invite</h2>
          </header>
          <InviteForm teamId={team.id} myRole={team.role} />
          <h3>Pending invitations</h3>
          <InvitationsList teamId={team.id} />
        </section>
      )}

      <ConfirmDialog
        open={confirm === 'leave'}
        onOpenChange={(open) => setConfirm(open ? 'leave' : null)}
        title={`Leave ${team.name}?`}
        description="You will no longer see what the team owns or what is shared with it."
        confirmLabel="Leave team"
        onConfirm={leaveTeam}
        pending={leave.isPending}
        error={leave.error?.message}
      />
      <ConfirmDialog
        open={confirm === 'delete'}
        onOpenChange={(open) => setConfirm(open ? 'delete' : null)}
        title={`Delete ${team.name}?`}
        description="Everything the team owns becomes yours (private to you, and counted against your storage), shares with the team end and pending invitations stop working. This cannot be undone."
        confirmLabel="Delete team"
        onConfirm={deleteTeam}
        pending={remove.isPending}
        error={remove.error?.message}
      />
      <ConfirmDialog
        open={typeof confirm === 'object' && confirm !== null}
        onOpenChange={(open) => {
          if (!open) setConfirm(null);
        }}
        title={`Make ${typeof confirm === 'object' && confirm ? confirm.transfer.email : ''} the owner?`}
        description="They will own the team; you stay on as an admin."
        confirmLabel="Transfer ownership"
        onConfirm={() => {
          if (typeof confirm === 'object' && confirm) transferTo(confirm.transfer);
        }}
        pending={transfer.isPending}
        error={transfer.error?.message}
      />
    </Page>
  );
}

function TeamUsageSection({ teamId }: { teamId: number }) {
  const usage = useTeamUsage(teamId);
  return (
    <section className={stack.stack} aria-labelledby="usage-title">
      <header className={`${section.header} ${section.smallTitle}`}>
        <h2 id="usage-title">Usage</h2>
      </header>
      <QueryState
        query={usage}
        loading="Loading the team’s usage…"
        failure="Could not load the team’s usage."
      >
        {usage.data && <UsageBars limits={usage.data.limits} />}
      </QueryState>
    </section>
  );
}
