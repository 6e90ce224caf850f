/** The Alerts page (`/alerts`): the user's rules (new, edit, rotate the webhook secret,
 * delete; a new webhook secret is shown once) with whether each is firing and what it last saw, and the events they fired with how each notice was delivered
 * on each channel (a webhook that kept failing says so). */
import { useState } from 'react';

import { EmptyState } from '../../../components/empty-state';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import table from '../../../components/table.module.css';
import { Badge, type BadgeTone } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { formatDateTime } from '../../../lib/format';
import { type AlertEvent, useAlertEvents } from '../api/get-alert-events';
import { type AlertRule, useAlertRules } from '../api/get-alert-rules';
import { useDeleteAlertRule } from '../api/delete-alert-rule';
import styles from './alerts.module.css';
import { RuleDialog } from './rule-dialog';
import {
  RotateSecretDialog,
  type ShownSecret,
  WebhookSecretDialog,
} from './webhook-secret-dialogs';

const SIGNS: Record<string, string> = { gt: '>', gte: '≥', lt: '<', lte: '≤' };
const DELIVERY_TONES: Record<string, BadgeTone> = {
  delivered: 'success',
  pending: 'info',
  failed: 'danger',
};

export function condition(rule: AlertRule): string {
  if (rule.series.startsWith('drift:')) return 'drift detected';
  const unit = rule.series.startsWith('quota:') ? '% used' : '';
  return `${SIGNS[rule.comparison] ?? rule.comparison} ${rule.threshold}${unit} (${rule.window === 'day' ? 'today' : 'this hour'})`;
}

function RuleRows({
  rules,
  onEdit,
  onRotate,
  onDelete,
}: {
  rules: readonly AlertRule[];
  onEdit: (rule: AlertRule) => void;
  onRotate: (rule: AlertRule) => void;
  onDelete: (rule: AlertRule) => void;
}) {
  return (
    <div className={table.wrap}>
      <table className={table.table}>
        <caption className="visually-hidden">Your alert rules</caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Watches</th>
            <th scope="col">Fires when</th>
            <th scope="col">State</th>
            <th scope="col">Last seen</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rules.map((rule) => (
            <tr key={rule.id} data-testid="alert-rule-row">
              <th scope="row">{rule.name}</th>
              <td>
                <code>{rule.series}</code>
                {rule.model_version_label && <> on {rule.model_version_label}</>}
              </td>
              <td>{condition(rule)}</td>
              <td>
                {!rule.enabled ? (
                  <Badge>off</Badge>
                ) : rule.firing ? (
                  <Badge tone="danger" live>
                    firing
                  </Badge>
                ) : (
                  <Badge tone="success">ok</Badge>
                )}
              </td>
              <td className={styles.note}>
                {rule.last_value !== null ? rule.last_value.toPrecision(4) : null}
                {rule.last_note && <span className={muted.text}> {rule.last_note}</span>}
              </td>
              <td className={table.actions}>
                <Button
                  size="small"
                  variant="ghost"
                  aria-label={`Edit ${rule.name}`}
                  onClick={() => onEdit(rule)}
                >
                  Edit
                </Button>
                {rule.webhook_url && (
                  <Button
                    size="small"
                    variant="ghost"
                    aria-label={`Rotate the webhook secret of ${rule.name}`}
                    onClick={() => onRotate(rule)}
                  >
                    Rotate secret
                  </Button>
                )}
                <Button
                  size="small"
                  variant="ghost"
                  aria-label={`Delete ${rule.name}`}
                  onClick={() => onDelete(rule)}
                >
                  Delete
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EventRows({ events }: { events: readonly AlertEvent[] }) {
  return (
    <div className={table.wrap}>
      <table className={table.table}>
        <caption className="visually-hidden">Alert events</caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">What happened</th>
            <th scope="col">Fired</th>
            <th scope="col">Resolved</th>
            <th scope="col">Delivery</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id} data-testid="alert-event-row">
              <th scope="row">{event.rule_name}</th>
              <td>{event.message}</td>
              <td>
                <time dateTime={event.fired_at}>{formatDateTime(event.fired_at)}</time>
              </td>
              <td>
                {event.resolved_at ? (
                  <time dateTime={event.resolved_at}>{formatDateTime(event.resolved_at)}</time>
                ) : (
                  <Badge tone="danger">still firing</Badge>
                )}
              </td>
              <td>
                <ul className={styles.checks}>
                  {event.deliveries.map((delivery) => (
                    <li key={delivery.id} title={delivery.last_error || undefined}>
                      <Badge tone={DELIVERY_TONES[delivery.status] ?? 'neutral'}>
                        {delivery.notice} · {delivery.channel}: {delivery.status}
                        {delivery.attempts > 1 ? ` after ${delivery.attempts} tries` : ''}
                      </Badge>
                      {delivery.status === 'failed' && delivery.last_error && (
                        <span className={muted.text}> {delivery.last_error}</span>
                      )}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function DeleteRuleDialog({ rule, onClose }: { rule: AlertRule | null; onClose: () => void }) {
  const remove = useDeleteAlertRule();
  return (
    <Dialog
      open={rule !== null}
      onOpenChange={(open) => !open && onClose()}
      title={`Delete ${rule?.name ?? 'rule'}?`}
      description="The rule and its events are deleted; nothing more is sent for it."
    >
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button
          variant="danger"
          disabled={remove.isPending}
          onClick={() => rule && remove.mutate(rule.id, { onSuccess: onClose })}
        >
          Delete rule
        </Button>
      </DialogActions>
    </Dialog>
  );
}

export function AlertsPage() {
  const rules = useAlertRules(1);
  const events = useAlertEvents(1);
  const [editing, setEditing] = useState<AlertRule | undefined>(undefined);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [deleting, setDeleting] = useState<AlertRule | null>(null);
  const [rotating, setRotating] = useState<AlertRule | null>(null);
  const [shownSecret, setShownSecret] = useState<ShownSecret | null>(null);

  function openRule(rule?: AlertRule) {
    setEditing(rule);
    setDialogOpen(true);
  }

  return (
    <Page
      title="Alerts"
      lead="Be told in the portal, by e-mail or on a webhook when a model's series crosses a line, its traffic drifts or your quota runs low."
      actions={
        <Button variant="primary" onClick={() => openRule()}>
          New rule
        </Button>
      }
    >
      <section className={styles.part} aria-label="Rules">
        <QueryState
          query={rules}
          loading="Loading your rules…"
          failure="Could not load your rules."
          isEmpty={rules.data?.results.length === 0}
          empty={
            <EmptyState
              title="No rules yet"
              description="A rule watches one series and tells you when it crosses your threshold."
            />
          }
        >
          {rules.data && (
            <RuleRows
              rules={rules.data.results}
              onEdit={openRule}
              onRotate={setRotating}
              onDelete={setDeleting}
            />
          )}
        </QueryState>
      </section>
      <section className={styles.part} aria-labelledby="alert-events">
        <h2 id="alert-events">Events</h2>
        <QueryState
          query={events}
          loading="Loading events…"
          failure="Could not load events."
          isEmpty={events.data?.results.length === 0}
          empty={<p className={muted.text}>No rule has fired yet.</p>}
        >
          {events.data && <EventRows events={events.data.results} />}
        </QueryState>
      </section>
      {dialogOpen && (
        <RuleDialog
          open={dialogOpen}
          onOpenChange={setDialogOpen}
          rule={editing}
          onNewSecret={(saved) =>
            setShownSecret({ ruleName: saved.name, secret: saved.webhook_secret })
          }
        />
      )}
      <RotateSecretDialog
        rule={rotating}
        onClose={() => setRotating(null)}
        onRotated={setShownSecret}
      />
      <WebhookSecretDialog shown={shownSecret} onClose={() => setShownSecret(null)} />
      <DeleteRuleDialog rule={deleting} onClose={() => setDeleting(null)} />
    </Page>
  );
}
