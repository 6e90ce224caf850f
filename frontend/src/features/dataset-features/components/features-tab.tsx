/**
 * A dataset version's Features tab: choose feature groups and compute them (once; a group
 * already computed is reused), each group's status, every feature's statistics with its
 * histogram and top values, and the comparison with another version of the dataset.
 */
import { useState } from 'react';

import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import section from '../../../components/section.module.css';
import stack from '../../../components/stack.module.css';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import type { DatasetVersion } from '../../../lib/api/get-dataset-versions';
import { type FeatureDefinition, useFeatureGroups } from '../../../lib/api/get-feature-groups';
import { useComputeFeatures } from '../api/compute-features';
import { useVersionFeatures } from '../api/get-version-features';
import type { Materialization } from '../api/types';
import { useFeaturesUpdates } from '../hooks/use-features-updates';
import { CompareFeatures } from './compare-features';
import { FeatureCard } from './feature-card';
import styles from './features.module.css';

const TONES = {
  queued: 'neutral',
  running: 'info',
  succeeded: 'success',
  failed: 'danger',
} as const;

function GroupResult({
  materialization,
  definitions,
}: {
  materialization: Materialization;
  definitions: ReadonlyMap<string, FeatureDefinition>;
}) {
  const { group, status } = materialization;
  return (
    <section
      className={stack.stack}
      aria-labelledby={`group-${group}`}
      data-testid={`feature-group-${group}`}
    >
      <h3 id={`group-${group}`} className={section.subheading}>
        {group}{' '}
        <Badge tone={TONES[status]} live={status === 'running'}>
          {status}
        </Badge>{' '}
        {status === 'succeeded' && (
          <span className={muted.small}>{materialization.rows.toLocaleString()} records</span>
        )}
      </h3>
      {materialization.error && <FormError>{materialization.error}</FormError>}
      {status === 'succeeded' && (
        <div className={styles.grid}>
          {Object.entries(materialization.statistics).map(([name, stats]) => (
            <FeatureCard key={name} name={name} stats={stats} definition={definitions.get(name)} />
          ))}
        </div>
      )}
    </section>
  );
}

export function FeaturesTab({
  version,
  versions,
}: {
  version: DatasetVersion;
  versions: readonly DatasetVersion[];
}) {
  useFeaturesUpdates(version.id);
  const groups = useFeatureGroups();
  const features = useVersionFeatures(version.id);
  const compute = useComputeFeatures(version.id);
  const [chosen, setChosen] = useState<string[]>(['basic']);
  const definitions = new Map(
    (groups.data ?? []).flatMap((group) => group.features.map((f) => [f.name, f] as const)),
  );
  const done = (features.data ?? []).filter((m) => m.status === 'succeeded');

  function toggle(group: string, on: boolean) {
    setChosen((current) => (on ? [...current, group] : current.filter((g) => g !== group)));
  }

  return (
    <div className={stack.stack} data-testid="features-tab">
      {version.status !== 'valid' ? (
        <p className={muted.text}>Features are computed for a valid version.</p>
      ) : (
        <fieldset className={styles.groups}>
          <legend className="visually-hidden">Feature groups to compute</legend>
          {(groups.data ?? []).map((group) => (
            <label key={group.name} title={group.features.map((f) => f.name).join(', ')}>
              <input
                type="checkbox"
                checked={chosen.includes(group.name)}
                onChange={(event) => toggle(group.name, event.target.checked)}
              />{' '}
              {group.name}
            </label>
          ))}
          <Button
            variant="primary"
            disabled={compute.isPending || chosen.length === 0}
            onClick={() => compute.mutate(chosen)}
          >
            Compute features
          </Button>
        </fieldset>
      )}
      {compute.error && <FormError>{compute.error.message}</FormError>}
      <QueryState
        query={features}
        loading="Loading features…"
        failure="Could not load the features."
        isEmpty={(features.data ?? []).length === 0}
        empty={
          <p className={muted.text} data-testid="features-empty">
            No features computed yet. Computed features are stored with the version and reused by
            filters, the records browser and training.
          </p>
        }
      >
        {(features.data ?? []).map((materialization) => (
          <GroupResult
            key={materialization.id}
            materialization={materialization}
            definitions={definitions}
          />
        ))}
      </QueryState>
      {done.length > 0 && (
        <CompareFeatures
          version={version}
          others={versions.filter((other) => other.id !== version.id && other.status === 'valid')}
        />
      )}
    </div>
  );
}
