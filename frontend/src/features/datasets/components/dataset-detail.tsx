/**
 * One dataset: its upload panel, its versions with their status, the selected version's
 * validation report, features and records (in tabs), and the ways to train on it or delete it.
 */
import { type ReactNode, useState } from 'react';

import buttonRow from '../../../components/button-row.module.css';
import loadError from '../../../components/load-error.module.css';
import muted from '../../../components/muted.module.css';
import section from '../../../components/section.module.css';
import { ShareDialog } from '../../../components/sharing/share-dialog';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { allows } from '../../../lib/access-actions';
import { ConfirmDialog } from '../../../components/ui/dialog';
import { Tabs } from '../../../components/ui/tabs';
import { useToast } from '../../../components/ui/toast';
import { type DatasetVersion, useDatasetVersions } from '../../../lib/api/get-dataset-versions';
import type { Dataset } from '../../../lib/api/get-datasets';
import { useDeleteDataset } from '../api/delete-dataset';
import { useDeleteDatasetVersion } from '../api/delete-dataset-version';
import styles from './datasets.module.css';
import { UploadVersionPanel } from './upload-version-panel';
import { ValidationReport } from './validation-report';
import { VersionsTable } from './versions-table';

/** What the Datasets page shows of other features; the route composes them in. */
export interface DatasetSlots {
  /** The dialog that starts a training run on this dataset. */
  newTrainingRun: (props: {
    open: boolean;
    onOpenChange: (open: boolean) => void;
    initialDatasetId: number;
    initialVersionId?: number;
  }) => ReactNode;
  /** The models trained on a valid version. */
  derivedModels: (datasetVersionId: number) => ReactNode;
  /** A version's Features tab: computed features, their statistics, comparison. */
  versionFeatures: (version: DatasetVersion, versions: readonly DatasetVersion[]) => ReactNode;
  /** A version's records with their feature values, filterable by them. */
  versionRecords: (version: DatasetVersion) => ReactNode;
}

interface DatasetDetailProps {
  dataset: Dataset;
  slots: DatasetSlots;
  selectedVersionId: number | null;
  onSelectVersion: (versionId: number | null) => void;
  onDeleted: () => void;
}

interface Subject<T> {
  subject: T | null;
  open: boolean;
}

export function DatasetDetail({
  dataset,
  slots,
  selectedVersionId,
  onSelectVersion,
  onDeleted,
}: DatasetDetailProps) {
  const versions = useDatasetVersions(dataset.id);
  const deleteVersion = useDeleteDatasetVersion();
  const deleteDataset = useDeleteDataset();
  const mayDelete = allows(dataset.access_role, 'delete');
  const toast = useToast();
  const [trainingOpen, setTrainingOpen] = useState(false);
  const [deletingVersion, setDeletingVersion] = useState<Subject<DatasetVersion>>({
    subject: null,
    open: false,
  });
  const [deletingDataset, setDeletingDataset] = useState(false);

  const list = versions.data?.results ?? [];
  const selected = list.find((version) => version.id === selectedVersionId) ?? list[0] ?? null;
  const latestValid = list.find((version) => version.status === 'valid') ?? null;

  function confirmDeleteVersion() {
    const version = deletingVersion.subject;
    if (version === null) return;
    deleteVersion.mutate(version.id, {
      onSuccess: () => {
        toast.add({ title: `Version ${version.number} deleted` });
        setDeletingVersion((state) => ({ ...state, open: false }));
        if (version.id === selectedVersionId) onSelectVersion(null);
      },
    });
  }

  function confirmDeleteDataset() {
    deleteDataset.mutate(dataset.id, {
      onSuccess: () => {
        toast.add({ title: `“${dataset.name}” deleted` });
        setDeletingDataset(false);
        onDeleted();
      },
    });
  }

  return (
    <article className={section.detail} aria-labelledby="dataset-title">
      <header className={section.header}>
        <div>
          <h2 id="dataset-title">{dataset.name}</h2>
          {dataset.description && <p className={muted.text}>{dataset.description}</p>}
        </div>
        <div className={buttonRow.row}>
          <ShareDialog kind="dataset" id={dataset.id} />
          <Button
            variant="primary"
            disabled={latestValid === null}
            title={latestValid === null ? 'Needs a valid version first' : undefined}
            onClick={() => setTrainingOpen(true)}
          >
            New training run
          </Button>
          {mayDelete && (
            <Button
              variant="ghost"
              onClick={() => {
                deleteDataset.reset();
                setDeletingDataset(true);
              }}
            >
              Delete dataset
            </Button>
          )}
        </div>
      </header>

      {allows(dataset.access_role, 'edit') && (
        <UploadVersionPanel
          key={dataset.id}
          datasetId={dataset.id}
          onUploaded={(version) => onSelectVersion(version.id)}
        />
      )}

      <section className={stack.stack} aria-labelledby="versions-title">
        <h3 id="versions-title" className={styles.subheading}>
          Versions
        </h3>
        {versions.isPending ? (
          <p role="status" className={muted.text}>
            Loading versions…
          </p>
        ) : versions.isError ? (
          <div role="alert" className={loadError.box}>
            <p>Could not load the versions. {versions.error.message}</p>
            <Button size="small" onClick={() => void versions.refetch()}>
              Try again
            </Button>
          </div>
        ) : list.length === 0 ? (
          <p className={muted.text} data-testid="versions-empty">
            No versions yet. Upload a file above to create version 1.
          </p>
        ) : (
          <VersionsTable
            versions={list}
            selectedId={selected?.id ?? null}
            onSelect={(version) => onSelectVersion(version.id)}
            onDelete={
              mayDelete
                ? (version) => {
                    deleteVersion.reset();
                    setDeletingVersion({ subject: version, open: true });
                  }
                : undefined
            }
          />
        )}
      </section>

      {selected && (
        <Tabs
          key={selected.id}
          label={`Version ${selected.number}`}
          data-testid="version-tabs"
          items={[
            {
              value: 'report',
              label: 'Report',
              content: <ValidationReport version={selected} derivedModels={slots.derivedModels} />,
            },
            {
              value: 'features',
              label: 'Features',
              content: slots.versionFeatures(selected, list),
            },
            { value: 'records', label: 'Records', content: slots.versionRecords(selected) },
          ]}
        />
      )}

      {slots.newTrainingRun({
        open: trainingOpen,
        onOpenChange: setTrainingOpen,
        initialDatasetId: dataset.id,
        initialVersionId: selected?.status === 'valid' ? selected.id : latestValid?.id,
      })}
      <ConfirmDialog
        open={deletingVersion.open}
        onOpenChange={(open) => setDeletingVersion((state) => ({ ...state, open }))}
        title={`Delete version ${deletingVersion.subject?.number ?? ''}?`}
        description="The file and its report are removed and its storage is freed. Training runs that used it keep their results."
        confirmLabel="Delete version"
        onConfirm={confirmDeleteVersion}
        pending={deleteVersion.isPending}
        error={deleteVersion.error?.message}
      />
      <ConfirmDialog
        open={deletingDataset}
        onOpenChange={setDeletingDataset}
        title={`Delete “${dataset.name}”?`}
        description={`All ${dataset.version_count} versions and their files are removed. This cannot be undone.`}
        confirmLabel="Delete dataset"
        onConfirm={confirmDeleteDataset}
        pending={deleteDataset.isPending}
        error={deleteDataset.error?.message}
      />
    </article>
  );
}
