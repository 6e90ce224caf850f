/**
 * The Datasets page: storage use, the list of datasets with their version counts, and the
 * selected dataset's versions. The selection lives in the URL (`?dataset=&version=`), so a
 * report can be linked to and survives a reload.
 */
import { useState } from 'react';
import { useSearchParams } from 'react-router';

import { EmptyState } from '../../../components/empty-state';
import { Page } from '../../../components/page';
import { Button } from '../../../components/ui/button';
import { useDatasets } from '../api/get-datasets';
import { useValidationUpdates } from '../hooks/use-validation-updates';
import { CreateDatasetDialog } from './create-dataset-dialog';
import { DatasetDetail } from './dataset-detail';
import styles from './datasets.module.css';
import { StorageUsageBar } from './storage-usage-bar';

function idParam(value: string | null): number | null {
  const id = Number(value);
  return value !== null && Number.isInteger(id) && id > 0 ? id : null;
}

export function DatasetsPage() {
  useValidationUpdates();
  const datasets = useDatasets();
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
      {datasets.isPending ? (
        <p role="status" className={styles.muted}>
          Loading datasets…
        </p>
      ) : datasets.isError ? (
        <div role="alert" className={styles.loadError}>
          <p>Could not load your datasets. {datasets.error.message}</p>
          <Button size="small" onClick={() => void datasets.refetch()}>
            Try again
          </Button>
        </div>
      ) : list.length === 0 ? (
        <EmptyState
          title="No datasets yet"
          description="Create a dataset, then upload plain text, JSON Lines, JSON, CSV or a zip of them to train on."
          action={newButton}
          data-testid="datasets-empty"
        />
      ) : (
        <div className={styles.layout}>
          <nav aria-label="Datasets" className={styles.list}>
            <ul>
              {list.map((dataset) => (
                <li key={dataset.id}>
                  <button
                    type="button"
                    className={styles.listItem}
                    aria-current={dataset.id === selected?.id ? 'true' : undefined}
                    onClick={() => select(dataset.id)}
                    data-testid="dataset-item"
                  >
                    <span className={styles.listName}>{dataset.name}</span>
                    <span className={styles.muted}>
                      {dataset.version_count} {dataset.version_count === 1 ? 'version' : 'versions'}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </nav>
          {selected && (
            <DatasetDetail
              key={selected.id}
              dataset={selected}
              selectedVersionId={versionId}
              onSelectVersion={(version) => select(selected.id, version)}
              onDeleted={() => select(null)}
            />
          )}
        </div>
      )}
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
