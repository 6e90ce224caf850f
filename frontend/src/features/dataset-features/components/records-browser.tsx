/**
 * A dataset version's records (with their file and line) and computed feature values, a page
 * at a time, kept to those within the feature ranges the user sets (e.g. words from 5 to 50).
 */
import { useState } from 'react';

import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import stack from '../../../components/stack.module.css';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { isNumberFeature, useFeatureGroups } from '../../../lib/api/get-feature-groups';
import { type FeatureRange, RECORDS_PAGE, useVersionRecords } from '../api/get-version-records';
import { useVersionFeatures } from '../api/get-version-features';
import { browsedRecord, featureValue, recordText } from '../utils/record-text';
import styles from './features.module.css';

export function RecordsBrowser({ versionId }: { versionId: number }) {
  const groups = useFeatureGroups();
  const features = useVersionFeatures(versionId);
  const dtypes = new Map(
    (groups.data ?? []).flatMap((group) => group.features.map((f) => [f.name, f.dtype] as const)),
  );
  const computed = (features.data ?? [])
    .filter((m) => m.status === 'succeeded')
    .flatMap((m) => Object.keys(m.statistics));
  const numeric = computed.filter((name) => isNumberFeature(dtypes.get(name)));
  const shown = computed.filter((name) => dtypes.get(name) !== 'vector');

  const [draft, setDraft] = useState<FeatureRange>({ feature: '', min: '', max: '' });
  const [ranges, setRanges] = useState<FeatureRange[]>([]);
  const [offset, setOffset] = useState(0);
  const records = useVersionRecords(versionId, offset, ranges);
  const list = records.data?.results ?? [];
  const feature = draft.feature || numeric[0] || '';

  function apply(next: FeatureRange[]) {
    setRanges(next);
    setOffset(0);
  }

  return (
    <div className={stack.stack} data-testid="records-browser">
      {numeric.length === 0 ? (
        <p className={muted.small}>Compute features in the Features tab to filter by them.</p>
      ) : (
        <div className={styles.filters}>
          <label>
            Feature
            <select
              aria-label="Feature"
              value={feature}
              onChange={(event) => setDraft({ ...draft, feature: event.target.value })}
            >
              {numeric.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <label>
            From
            <input
              inputMode="decimal"
              value={draft.min}
              onChange={(event) => setDraft({ ...draft, min: event.target.value })}
            />
          </label>
          <label>
            To
            <input
              inputMode="decimal"
              value={draft.max}
              onChange={(event) => setDraft({ ...draft, max: event.target.value })}
            />
          </label>
          <Button
            disabled={draft.min.trim() === '' && draft.max.trim() === ''}
            onClick={() => {
              apply([...ranges, { ...draft, feature }]);
              setDraft({ feature, min: '', max: '' });
            }}
          >
            Add filter
          </Button>
        </div>
      )}
      {ranges.length > 0 && (
        <ul className={stack.list} aria-label="Filters">
          {ranges.map((range, index) => (
            <li key={index}>
              {range.feature} from {range.min || '…'} to {range.max || '…'}{' '}
              <Button
                size="small"
                variant="ghost"
                aria-label={`Remove the ${range.feature} filter`}
                onClick={() => apply(ranges.filter((_, at) => at !== index))}
              >
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      <QueryState
        query={records}
        loading="Loading records…"
        failure="Could not load the records."
        isEmpty={list.length === 0}
        empty={<p className={muted.text}>No records match.</p>}
      >
        <div className={table.wrap}>
          <table className={`${table.table} ${table.top}`} data-testid="records-table">
            <caption className="visually-hidden">Records</caption>
            <thead>
              <tr>
                <th scope="col" className={table.numeric}>
                  #
                </th>
                <th scope="col">Record</th>
                {shown.map((name) => (
                  <th key={name} scope="col" className={table.numeric}>
                    {name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {list.map((row) => {
                const { data, where } = browsedRecord(row.record);
                return (
                  <tr key={row.index} data-testid="record-row">
                    <td className={table.numeric}>{row.index + 1}</td>
                    <td>
                      <span className={styles.recordText}>{recordText(data)}</span>
                      {where && <span className={`${muted.small} ${styles.where}`}>{where}</span>}
                    </td>
                    {shown.map((name) => (
                      <td key={name} className={table.numeric}>
                        {featureValue(row.features[name])}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </QueryState>
      <div className={styles.filters}>
        <Button
          size="small"
          disabled={offset === 0}
          onClick={() => setOffset(Math.max(0, offset - RECORDS_PAGE))}
        >
          Previous
        </Button>
        <Button
          size="small"
          disabled={records.data?.next_offset == null}
          onClick={() => setOffset(records.data?.next_offset ?? offset)}
        >
          Next
        </Button>
      </div>
    </div>
  );
}
