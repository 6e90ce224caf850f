/**
 * Drift of one model version: per kind (prompts, personality, reply length, refusal rate,
 * thumbs down) the latest test's statistic, p-value, threshold and verdict, a chart of its
 * p-value against the threshold over time, a "check now" button, and the settings. A kind
 * with too little traffic says how many requests it needs instead of showing a p-value.
 */
import { useState } from 'react';

import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import section from '../../../components/section.module.css';
import stack from '../../../components/stack.module.css';
import table from '../../../components/table.module.css';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { ApiError } from '../../../lib/api-client';
import { CHART_COLORS, formatChartValue, LineChart } from '../../../components/ui/line-chart';
import { useCheckDrift } from '../api/check-drift';
import { useDriftHistory } from '../api/get-drift-history';
import {
  DRIFT_KINDS,
  type DriftKind,
  type DriftResult,
  useDriftLatest,
} from '../api/get-drift-latest';
import { useDriftSettings } from '../api/get-drift-settings';
import { DriftSettingsForm } from './drift-settings-form';
import styles from './drift.module.css';
import charts from './monitoring.module.css';

function number(value: number | null): string {
  return value === null ? '–' : formatChartValue(value);
}

/** What the window was compared with: the first week, a picked dataset version or the
 * version's personality evaluation (personality drift, when it has one). */
function reference(result: DriftResult | null): string {
  if (result === null) return '–';
  if (result.reference_evaluation_id !== null)
    return `personality evaluation #${result.reference_evaluation_id}`;
  if (result.reference_dataset_version_id !== null)
    return `dataset version #${result.reference_dataset_version_id}`;
  return 'first week';
}

function Verdict({ result, kind }: { result: DriftResult | null; kind: DriftKind }) {
  const testId = `drift-verdict-${kind}`;
  if (result === null)
    return (
      <Badge tone="neutral" data-testid={testId}>
        not checked
      </Badge>
    );
  if (result.status === 'insufficient')
    return (
      <Badge tone="warning" data-testid={testId}>
        insufficient
      </Badge>
    );
  return result.drifted ? (
    <Badge tone="danger" data-testid={testId}>
      drifted
    </Badge>
  ) : (
    <Badge tone="success" data-testid={testId}>
      no drift
    </Badge>
  );
}

function HistoryChart({
  versionId,
  kind,
  label,
  latestEnd,
}: {
  versionId: number;
  kind: DriftKind;
  label: string;
  latestEnd: string | null;
}) {
  const history = useDriftHistory(versionId, kind, latestEnd);
  const rows = (history.data ?? []).filter((row) => row.status === 'ok');
  return (
    <QueryState query={history} loading="Loading history…" failure="Could not load the history.">
      <LineChart
        title={`${label}: p-value`}
        xLabel="window end"
        yLabel="p-value"
        timeAxis
        logScale
        series={[
          { label: 'p-value', color: CHART_COLORS[0] },
          { label: 'threshold', color: CHART_COLORS[1], dashed: true },
        ]}
        data={[
          rows.map((row) => Date.parse(row.window_end) / 1000),
          // A log axis has no zero: a p-value of 0 is drawn at the smallest one it can show.
          rows.map((row) => Math.max(row.p_value ?? 1, 1e-12)),
          rows.map((row) => row.threshold),
        ]}
        emptyText="No completed checks yet."
        data-testid={`drift-chart-${kind}`}
      />
    </QueryState>
  );
}

/** Why "Check now" did not start one: a check asked for within the cooldown says when to retry. */
export function checkFailure(error: Error): string {
  if (error instanceof ApiError && error.status === 429)
    return error.retryAfterS === undefined
      ? 'Checked recently; try again in a few minutes.'
      : `Checked recently; try again in ${error.retryAfterS} s.`;
  return `Could not start a check: ${error.message}`;
}

export function DriftPanel({ versionId }: { versionId: number }) {
  const [waitingFor, setWaitingFor] = useState<string | null>(null);
  const latest = useDriftLatest(versionId, waitingFor);
  const settings = useDriftSettings(versionId);
  const check = useCheckDrift(versionId);
  const checking =
    waitingFor !== null &&
    !Object.values(latest.data ?? {}).some(
      (result) => result !== null && Date.parse(result.window_end) >= Date.parse(waitingFor),
    );

  return (
    <section aria-labelledby="drift-title" className={stack.stack} data-testid="drift-panel">
      <div className={section.header}>
        <h2 id="drift-title" className={section.subheading}>
          Drift
        </h2>
        <Button
          size="small"
          onClick={() =>
            check.mutate(undefined, { onSuccess: (body) => setWaitingFor(body.window_end) })
          }
          disabled={check.isPending || checking}
        >
          {checking ? 'Checking…' : 'Check now'}
        </Button>
      </div>
      <p className={muted.small}>
        Each window of traffic is tested against the reference; a p-value under the threshold is
        drift. Checks run by themselves about every hour for versions with traffic.
      </p>
      {check.isError && <FormError>{checkFailure(check.error)}</FormError>}
      <QueryState
        query={latest}
        loading="Loading drift…"
        failure="Could not load the drift results."
      >
        {latest.data && (
          <div className={table.wrap}>
            <table className={table.table}>
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Statistic</th>
                  <th scope="col">p-value</th>
                  <th scope="col">Threshold</th>
                  <th scope="col">Reference</th>
                  <th scope="col">Requests (reference / window)</th>
                  <th scope="col">Verdict</th>
                </tr>
              </thead>
              <tbody>
                {DRIFT_KINDS.map(({ kind, label, test }) => {
                  const result = latest.data[kind] ?? null;
                  return (
                    <tr key={kind} data-testid={`drift-row-${kind}`}>
                      <th scope="row">{label}</th>
                      <td title={test}>{number(result?.statistic ?? null)}</td>
                      <td>{number(result?.p_value ?? null)}</td>
                      <td>{number(result?.threshold ?? null)}</td>
                      <td data-testid={`drift-reference-${kind}`}>{reference(result)}</td>
                      <td>
                        {result
                          ? `${result.n_reference.toLocaleString()} / ${result.n_window.toLocaleString()}`
                          : '–'}
                      </td>
                      <td>
                        <Verdict result={result} kind={kind} />
                        {result?.status === 'insufficient' && (
                          <span className={`${muted.small} ${styles.message}`}>
                            {result.message}
                          </span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      <div className={charts.charts}>
        {DRIFT_KINDS.map(({ kind, label }) => (
          <HistoryChart
            key={kind}
            versionId={versionId}
            kind={kind}
            label={label}
            latestEnd={latest.data?.[kind]?.window_end ?? null}
          />
        ))}
      </div>
      <h3 className={section.subheading}>Drift settings</h3>
      <QueryState
        query={settings}
        loading="Loading settings…"
        failure="Could not load the drift settings."
      >
        {settings.data && <DriftSettingsForm versionId={versionId} settings={settings.data} />}
      </QueryState>
    </section>
  );
}
