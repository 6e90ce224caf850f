/**
 * A team's members and their roles. Admins change roles and remove members, never owners;
 * owners may do anything, including handing the team to another member.
 */
import table from '../../../components/table.module.css';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { roleAtLeast, type TeamRole } from '../../../lib/api/get-teams';
import type { TeamMember } from '../api/get-team';

const ROLES: readonly TeamRole[] = ['viewer', 'member', 'admin', 'owner'];

interface MembersTableProps {
  members: readonly TeamMember[];
  myRole: TeamRole;
  myId: number | undefined;
  pending: boolean;
  onRoleChange: (member: TeamMember, role: TeamRole) => void;
  onRemove: (member: TeamMember) => void;
  onTransfer: (member: TeamMember) => void;
}

export function MembersTable({
  members,
  myRole,
  myId,
  pending,
  onRoleChange,
  onRemove,
  onTransfer,
}: MembersTableProps) {
  const owner = myRole === 'owner';
  // Admins manage members but never owners, and cannot make anyone an owner.
  const manages = (member: TeamMember) =>
    member.user_id !== myId && roleAtLeast(myRole, 'admin') && (owner || member.role !== 'owner');
  return (
    <div className={table.wrap}>
      <table className={`${table.table} ${table.roomy}`}>
        <caption className="visually-hidden">Members</caption>
        <thead>
          <tr>
            <th scope="col">Member</th>
            <th scope="col">Role</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {members.map((member) => (
            <tr key={member.user_id} data-testid="member-row">
              <th scope="row">
                {member.email}
                {member.user_id === myId && ' (you)'}
              </th>
              <td>
                {manages(member) ? (
                  <select
                    aria-label={`Role of ${member.email}`}
                    value={member.role}
                    disabled={pending}
                    onChange={(event) => onRoleChange(member, event.target.value as TeamRole)}
                  >
                    {ROLES.filter((role) => owner || role !== 'owner').map((role) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                ) : (
                  <Badge>{member.role}</Badge>
                )}
              </td>
              <td className={table.actions}>
                {owner && member.user_id !== myId && member.role !== 'owner' && (
                  <Button size="small" disabled={pending} onClick={() => onTransfer(member)}>
                    Make owner
                  </Button>
                )}
                {manages(member) && (
                  <Button
                    size="small"
                    variant="ghost"
                    disabled={pending}
                    onClick={() => onRemove(member)}
                  >
                    Remove
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
