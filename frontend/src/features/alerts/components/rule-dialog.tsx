/** The alert rule form, for a new rule or a change to one: what to watch, when it fires, and
 * how to be told. The server checks the series, the model version and the webhook URL and its
 * messages appear under those fields. */
import { useState } from 'react';

import { QueryState } from '../../../components/query-state';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { Form, FormError, TextField } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { ApiError } from '../../../lib/api-client';
import type { AlertRule } from '../api/get-alert-rules';
import { useAlertSeries } from '../api/get-alert-series';
import { type AlertRuleInput, type SavedAlertRule, useSaveAlertRule } from '../api/save-alert-rule';
import styles from './alerts.module.css';

const COMPARISONS = [
  { value: 'gte', label: '≥' },
  { value: 'gt', label: '>' },
  { value: 'lte', label: '≤' },
  { value: 'lt', label: '<' },
] as const;
const WINDOWS = [
  { value: 'hour', label: 'This hour' },
  { value: 'day', label: 'Today' },
] as const;
const SHOWN_FIELDS = [
  'name',
  'series',
  'model_version',
  'threshold',
  'webhook_url',
  'notify_portal',
];

interface RuleDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The rule to change; none for a new rule. */
  rule?: AlertRule;
  /** Called with the saved rule when the save gave it a webhook secret, to be shown once. */
  onNewSecret: (saved: SavedAlertRule & { webhook_secret: string }) => void;
}

export function RuleDialog({ open, onOpenChange, rule, onNewSecret }: RuleDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={rule ? `Edit ${rule.name}` : 'New alert rule'}
      description="You are told when the condition starts holding and when it stops."
    >
      <RuleFormWhenReady
        rule={rule}
        onSaved={(saved) => {
          onOpenChange(false);
          const secret = saved.webhook_secret;
          if (secret) onNewSecret({ ...saved, webhook_secret: secret });
        }}
      />
    </Dialog>
  );
}

function text(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  return typeof value === 'string' ? value.trim() : '';
}

export interface RuleChecks {
  notify_portal: boolean;
  notify_email: boolean;
  enabled: boolean;
}

export function ruleInput(values: Record<string, unknown>, checks: RuleChecks): AlertRuleInput {
  const version = text(values, 'model_version');
  return {
    name: text(values, 'name'),
    series: text(values, 'series'),
    model_version: version === '' ? null : Number(version),
    comparison: text(values, 'comparison') as AlertRuleInput['comparison'],
    threshold: Number(text(values, 'threshold') || '0'),
    window: text(values, 'window') as AlertRuleInput['window'],
    webhook_url: text(values, 'webhook_url'),
    notify_portal: checks.notify_portal,
    notify_email: checks.notify_email,
    enabled: checks.enabled,
  };
}

interface RuleFormProps {
  rule?: AlertRule;
  onSaved: (saved: SavedAlertRule) => void;
}

/** The form once the choices of series are known, so the select starts on the rule's own. */
function RuleFormWhenReady(props: RuleFormProps) {
  const series = useAlertSeries();
  return (
    <QueryState query={series} loading="Loading the series…" failure="Could not load the series.">
      {series.data && <RuleForm {...props} series={series.data.series} />}
    </QueryState>
  );
}

function RuleForm({ rule, onSaved, series }: RuleFormProps & { series: readonly string[] }) {
  const save = useSaveAlertRule();
  const [fieldErrors, setFieldErrors] = useState<ApiError['fields']>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [checks, setChecks] = useState<RuleChecks>({
    notify_portal: rule?.notify_portal ?? true,
    notify_email: rule?.notify_email ?? false,
    enabled: rule?.enabled ?? true,
  });

  function submit(values: Record<string, unknown>) {
    setFormError(null);
    save.mutate(
      { id: rule?.id, input: ruleInput(values, checks) },
      {
        onSuccess: onSaved,
        onError: (error) => {
          const fields = error instanceof ApiError ? error.fields : {};
          setFieldErrors(fields);
          if (!Object.keys(fields).some((name) => SHOWN_FIELDS.includes(name)))
            setFormError(error.message);
        },
      },
    );
  }

  const options = series.map((name) => ({ value: name, label: name }));
  return (
    <Form errors={fieldErrors} onFormSubmit={submit} aria-label="Alert rule">
      <TextField name="name" label="Name" defaultValue={rule?.name} required autoComplete="off" />
      <SelectField
        name="series"
        label="Watch"
        options={options}
        defaultValue={rule?.series ?? 'error_rate'}
        description="A monitored series, drift:<kind> (fires when drift is found) or quota:<limit> (percent used)."
        required
      />
      <TextField
        name="model_version"
        label="Model version id"
        inputMode="numeric"
        defaultValue={rule?.model_version?.toString() ?? ''}
        description="The version to watch; leave empty for a quota rule."
      />
      <SelectField
        name="comparison"
        label="Fires when the value is"
        options={COMPARISONS}
        defaultValue={rule?.comparison ?? 'gte'}
      />
      <TextField
        name="threshold"
        label="Threshold"
        inputMode="decimal"
        defaultValue={String(rule?.threshold ?? 0)}
      />
      <SelectField
        name="window"
        label="Over"
        options={WINDOWS}
        defaultValue={rule?.window ?? 'hour'}
      />
      <TextField
        name="webhook_url"
        label="Webhook URL (optional)"
        type="url"
        defaultValue={rule?.webhook_url ?? ''}
        description="Receives a signed JSON POST; private and loopback addresses are refused."
      />
      <div className={styles.checks}>
        {(
          [
            ['notify_portal', 'Tell me in the portal'],
            ['notify_email', 'E-mail me'],
            ['enabled', 'Enabled'],
          ] as const
        ).map(([name, label]) => (
          <label key={name}>
            <input
              type="checkbox"
              checked={checks[name]}
              onChange={(event) => setChecks({ ...checks, [name]: event.target.checked })}
            />
            {label}
          </label>
        ))}
      </div>
      {fieldErrors.notify_portal && <FormError>{fieldErrors.notify_portal[0]}</FormError>}
      {formError && <FormError>{formError}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button type="submit" variant="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save rule'}
        </Button>
      </DialogActions>
    </Form>
  );
}
