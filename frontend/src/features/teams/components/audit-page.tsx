/**
 * The audit log: who changed access to what (sharing, roles, members, invitations, moves,
 * promotions, deletions, quota overrides), when and from which address. Team admins see their
 * teams' events, everyone their own actions, staff everything.
 */
import { useState } from 'react';

import { EmptyState } from '../../../components/empty-state';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import pager from '../../../components/pager.module.css';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { formatDateTime } from '../../../lib/format';
import { roleAtLeast, useTeams } from '../../../lib/api/get-teams';
import { type AuditEvent, useAuditEvents } from '../api/get-audit-events';

function describeDetails(event: AuditEvent): string {
  const details = event.details as Record<string, unknown> | null;
  return Object.entries(details ?? {})
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

export function AuditPage() {
  const [page, setPage] = useState(1);
  const [team, setTeam] = useState<number | undefined>(undefined);
  const events = useAuditEvents(page, { team });
  const teams = useTeams();
  const administered = (teams.data?.results ?? []).filter((t) => roleAtLeast(t.role, 'admin'));

  return (
    <Page
      title="Audit log"
      lead="Sharing, role and member changes, invitations, promotions and deletions: who, what, when and from where."
      actions={
        administered.length > 0 && (
          <label>
            Team{' '}
            <select
              value={team ?? ''}
              onChange={(event) => {
                setPage(1);
                setTeam(event.target.value ? Number(event.target.value) : undefined);
              }}
            >
              <option value="">All I can see</option>
              {administered.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
        )
      }
    >
      <QueryState
        query={events}
        loading="Loading the audit log…"
        failure="Could not load the audit log."
        isEmpty={events.data?.results.length === 0}
        empty={
          <EmptyState
            title="Nothing recorded yet"
            description="Changes to who can see or do what in your teams appear here."
          />
        }
      >
        <div className={table.wrap}>
          <table className={table.table}>
            <caption className="visually-hidden">Audit events</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Team</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {events.data?.results.map((event) => (
                <tr key={event.id} data-testid="audit-row">
                  <td>{formatDateTime(event.created_at)}</td>
                  <td>{event.actor_email ?? <span className={muted.text}>system</span>}</td>
                  <td>{event.action}</td>
                  <td>{event.team_name ?? '—'}</td>
                  <td>
                    {event.target_type} {event.target_name}
                  </td>
                  <td>{describeDetails(event)}</td>
                  <td>{event.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {(events.data?.previous ?? events.data?.next) && (
          <nav className={pager.pager} aria-label="Audit pages">
            <Button size="small" disabled={!events.data.previous} onClick={() => setPage(page - 1)}>
              Previous
            </Button>
            <span className={muted.text}>Page {page}</span>
            <Button size="small" disabled={!events.data.next} onClick={() => setPage(page + 1)}>
              Next
            </Button>
          </nav>
        )}
      </QueryState>
    </Page>
  );
}
