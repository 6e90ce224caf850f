/** The Teams page: the teams you belong to with your role in each, and "New team". */
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';

import { CreateNamedDialog } from '../../../components/create-named-dialog';
import { EmptyState } from '../../../components/empty-state';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { useTeams } from '../../../lib/api/get-teams';
import { type CreatedTeam, useCreateTeam } from '../api/create-team';

export function TeamsPage() {
  const teams = useTeams();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);

  function opened(team: CreatedTeam) {
    setCreating(false);
    void navigate(`/teams/${team.id}`);
  }

  const newTeam = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      New team
    </Button>
  );

  return (
    <Page
      title="Teams"
      lead="Work together: share datasets, experiments, models, collections, personalities and conversations with a team, or move them into its ownership."
      actions={
        <>
          <Link to="/audit">Audit log</Link>
          {newTeam}
        </>
      }
    >
      <QueryState
        query={teams}
        loading="Loading your teams…"
        failure="Could not load your teams."
        isEmpty={teams.data?.results.length === 0}
        empty={
          <EmptyState
            title="No teams yet"
            description="Create a team and invite people by e-mail, or accept an invitation someone sent you."
            action={newTeam}
            data-testid="teams-empty"
          />
        }
      >
        <div className={table.wrap}>
          <table className={`${table.table} ${table.roomy}`}>
            <caption className="visually-hidden">Your teams</caption>
            <thead>
              <tr>
                <th scope="col">Team</th>
                <th scope="col">Your role</th>
                <th scope="col">Members</th>
              </tr>
            </thead>
            <tbody>
              {teams.data?.results.map((team) => (
                <tr key={team.id} data-testid="team-row">
                  <th scope="row">
                    <Link to={`/teams/${team.id}`}>{team.name}</Link>
                  </th>
                  <td>
                    <Badge>{team.role}</Badge>
                  </td>
                  <td>{team.member_count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </QueryState>
      <CreateNamedDialog
        open={creating}
        onOpenChange={setCreating}
        onCreated={opened}
        title="New team"
        description="You will be its owner. Invite people once it exists."
        namePlaceholder="e.g. Research"
        descriptionHint="Optional: what the team works on."
        submitLabel="Create team"
        useCreate={useCreateTeam}
      />
    </Page>
  );
}
