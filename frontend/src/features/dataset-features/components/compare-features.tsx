/**
 * Compare with another version: per feature both have computed, the test, its statistic and
 * p-value, and whether the feature shifted (shifted features first).
 */
import { useState } from 'react';

import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import section from '../../../components/section.module.css';
import stack from '../../../components/stack.module.css';
import table from '../../../components/table.module.css';
import { Badge } from '../../../components/ui/badge';
import { formatChartValue } from '../../../components/ui/line-chart';
import type { DatasetVersion } from '../../../lib/api/get-dataset-versions';
import { useCompareFeatures } from '../api/compare-features';
import styles from './features.module.css';

function number(value: number | null): string {
  return value === null ? '–' : formatChartValue(value);
}

export function CompareFeatures({
  version,
  others,
}: {
  version: DatasetVersion;
  others: readonly DatasetVersion[];
}) {
  const [otherId, setOtherId] = useState<number | null>(null);
  const comparison = useCompareFeatures(version.id, otherId);
  const rows = Object.entries(comparison.data?.features ?? {}).sort(
    ([, a], [, b]) => Number(b.shifted) - Number(a.shifted),
  );
  return (
    <section className={stack.stack} aria-labelledby="compare-title">
      <h3 id="compare-title" className={section.subheading}>
        Compare with another version
      </h3>
      {others.length === 0 ? (
        <p className={muted.small}>This dataset has no other valid version to compare with.</p>
      ) : (
        <div className={styles.filters}>
          <label>
            Version
            <select
              aria-label="Version to compare with"
              value={otherId === null ? '' : String(otherId)}
              onChange={(event) =>
                setOtherId(event.target.value === '' ? null : Number(event.target.value))
              }
            >
              <option value="">Choose a version</option>
              {others.map((other) => (
                <option key={other.id} value={other.id}>
                  v{other.number} · {other.filename}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {otherId !== null && (
        <QueryState
          query={comparison}
          loading="Comparing…"
          failure="Could not compare the versions."
          isEmpty={rows.length === 0}
          empty={
            <p className={muted.small}>
              No feature is computed on both versions; compute the same groups on the other one.
            </p>
          }
        >
          <div className={table.wrap}>
            <table className={table.table} data-testid="feature-comparison">
              <caption className="visually-hidden">Feature shifts</caption>
              <thead>
                <tr>
                  <th scope="col">Feature</th>
                  <th scope="col">Shifted</th>
                  <th scope="col">Test</th>
                  <th scope="col" className={table.numeric}>
                    Statistic
                  </th>
                  <th scope="col" className={table.numeric}>
                    p-value
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map(([name, shift]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td>
                      {shift.status !== 'ok' ? (
                        <span className={muted.small}>{shift.message || shift.status}</span>
                      ) : shift.shifted ? (
                        <Badge tone="danger">shifted</Badge>
                      ) : (
                        <Badge tone="success">same</Badge>
                      )}
                    </td>
                    <td>{shift.test}</td>
                    <td className={table.numeric}>{number(shift.statistic)}</td>
                    <td className={table.numeric}>{number(shift.p_value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </QueryState>
      )}
    </section>
  );
}
