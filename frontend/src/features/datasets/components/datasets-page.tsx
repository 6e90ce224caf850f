/**
 * The Datasets page: storage use, the list of datasets with their version counts, and the
 * selected dataset's versions. The selection lives in the URL (`?dataset=&version=`), so a
 * report can be linked to and survives a reload.
 */
import { useState } from 'react';
import { useSearchParams } from 'react-router';

import { AccessBadge } from '../../../components/access-badge';
import { EmptyState } from '../../../components/empty-state';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import { type Scope, ScopeFilter, scopeQuery } from '../../../components/scope-filter';
import { Button } from '../../../components/ui/button';
import { MasterDetail } from '../../../components/ui/master-detail';
import { useDatasets } from '../../../lib/api/get-datasets';
import { idParam } from '../../../lib/search-params';
import { useValidationUpdates } from '../hooks/use-validation-updates';
import { CreateDatasetDialog } from './create-dataset-dialog';
import { DatasetDetail, type DatasetSlots } from './dataset-detail';
import { StorageUsageBar } from './storage-usage-bar';

export function DatasetsPage({ slots }: { slots: DatasetSlots }) {
  useValidationUpdates();
  const [scope, setScope] = useState<Scope>('all');
  const datasets = useDatasets({ scope: scopeQuery(scope) });
  const [params, setParams] = useSearchParams();
  const [createOpen, setCreateOpen] = useState(false);

  const selectedId = idParam(params.get('dataset'));
  const versionId = idParam(params.get('version'));
  const list = datasets.data?.results ?? [];
  const selected = list.find((dataset) => dataset.id === selectedId) ?? list[0] ?? null;

  function select(datasetId: number | null, version: number | null = null) {
    const next = new URLSearchParams();
    if (datasetId !== null) next.set('dataset', String(datasetId));
    if (version !== null) next.set('version', String(version));
    setParams(next, { replace: true });
  }

  const newButton = (
    <Button variant="primary" onClick={() => setCreateOpen(true)}>
      New dataset
    </Button>
  );

  return (
    <Page
      title="Datasets"
      lead="Text to train on. Every upload is a new, validated version you can train on, download or delete."
      actions={newButton}
    >
      <StorageUsageBar />
      <ScopeFilter label="Which datasets" value={scope} onChange={setScope} />
      <QueryState
        query={datasets}
        loading="Loading datasets…"
        failure="Could not load your datasets."
        isEmpty={list.length === 0}
        empty={
          <EmptyState
            title={scope === 'shared' ? 'Nothing shared with you yet' : 'No datasets yet'}
            description="Create a dataset, then upload plain text, JSON Lines, JSON, CSV or a zip of them to train on."
            action={newButton}
            data-testid="datasets-empty"
          />
        }
      >
        <MasterDetail
          label="Datasets"
          items={list}
          selectedId={selected?.id ?? null}
          onSelect={(id) => select(id)}
          meta={(dataset) => (
            <>
              {dataset.version_count} {dataset.version_count === 1 ? 'version' : 'versions'}{' '}
              <AccessBadge accessRole={dataset.access_role} />
            </>
          )}
          itemTestId="dataset-item"
        >
          {selected && (
            <DatasetDetail
              key={selected.id}
              dataset={selected}
              slots={slots}
              selectedVersionId={versionId}
              onSelectVersion={(version) => select(selected.id, version)}
              onDeleted={() => select(null)}
            />
          )}
        </MasterDetail>
      </QueryState>
      <CreateDatasetDialog
        open={createOpen}
        onOpenChange={setCreateOpen}
        onCreated={(dataset) => {
          setCreateOpen(false);
          select(dataset.id);
        }}
      />
    </Page>
  );
}
