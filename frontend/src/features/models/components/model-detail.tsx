/**
 * One registered model: its personality gate, its versions, the selected version's detail,
 * and deleting the model.
 */
import { useState } from 'react';

import buttonRow from '../../../components/button-row.module.css';
import loadError from '../../../components/load-error.module.css';
import muted from '../../../components/muted.module.css';
import section from '../../../components/section.module.css';
import { ShareDialog } from '../../../components/sharing/share-dialog';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { ConfirmDialog } from '../../../components/ui/dialog';
import { useToast } from '../../../components/ui/toast';
import { allows } from '../../../lib/access-actions';
import { useModelVersions } from '../../../lib/api/get-model-versions';
import type { RegisteredModel } from '../../../lib/api/get-models';
import { useDeleteModel } from '../api/delete-model';
import { HubPullProgress } from './hub-pull-progress';
import styles from './models.module.css';
import { PersonalityGate } from './personality-gate';
import { PullFromHubDialog } from './pull-from-hub-dialog';
import { type FineTuneSlot, VersionDetail } from './version-detail';
import { VersionsTable } from './versions-table';

interface ModelDetailProps {
  model: RegisteredModel;
  selectedVersionId: number | null;
  onSelectVersion: (versionId: number) => void;
  onDeleted: () => void;
  fineTune?: FineTuneSlot;
}

export function ModelDetail({
  model,
  selectedVersionId,
  onSelectVersion,
  onDeleted,
  fineTune,
}: ModelDetailProps) {
  const versions = useModelVersions(model.id);
  const deleteModel = useDeleteModel();
  const toast = useToast();
  const [deleting, setDeleting] = useState(false);
  const [pulling, setPulling] = useState(false);
  const list = versions.data?.results ?? [];
  const selected = list.find((version) => version.id === selectedVersionId) ?? list[0] ?? null;

  return (
    <article className={section.detail} aria-labelledby="model-title">
      <header className={section.header}>
        <div>
          <h2 id="model-title">{model.name}</h2>
          {model.description && <p className={muted.small}>{model.description}</p>}
        </div>
        <div className={buttonRow.row}>
          {allows(model.access_role, 'edit') && (
            <Button onClick={() => setPulling(true)}>Pull from Hugging Face</Button>
          )}
          <ShareDialog kind="model" id={model.id} />
          {allows(model.access_role, 'delete') && (
            <Button
              variant="ghost"
              onClick={() => {
                deleteModel.reset();
                setDeleting(true);
              }}
            >
              Delete model
            </Button>
          )}
        </div>
      </header>

      <section className={`${stack.stack} ${styles.shrink}`} aria-labelledby="versions-title">
        <h3 id="versions-title" className={section.subheading}>
          Versions
        </h3>
        {versions.isPending ? (
          <p role="status" className={muted.small}>
            Loading versions…
          </p>
        ) : versions.isError ? (
          <div role="alert" className={`${loadError.box} ${loadError.compact}`}>
            <p>Could not load the versions. {versions.error.message}</p>
            <Button size="small" onClick={() => void versions.refetch()}>
              Try again
            </Button>
          </div>
        ) : list.length === 0 ? (
          <p className={muted.small}>No versions left in this model.</p>
        ) : (
          <>
            <HubPullProgress versions={list} />
            <VersionsTable
              versions={list}
              selectedId={selected?.id ?? null}
              onSelect={(version) => onSelectVersion(version.id)}
            />
          </>
        )}
      </section>

      <section className={`${stack.stack} ${styles.shrink}`} aria-labelledby="gate-title">
        <h3 id="gate-title" className={section.subheading}>
          Personality gate
        </h3>
        <PersonalityGate key={model.id} model={model} />
      </section>

      {selected && <VersionDetail key={selected.id} version={selected} fineTune={fineTune} />}

      <PullFromHubDialog
        open={pulling}
        onOpenChange={setPulling}
        modelId={model.id}
        onPulled={(version) => {
          setPulling(false);
          toast.add({ title: `Pulling ${version.version}…` });
          onSelectVersion(version.id);
        }}
      />

      <ConfirmDialog
        open={deleting}
        onOpenChange={setDeleting}
        title={`Delete “${model.name}”?`}
        description={`All ${model.version_count} versions, their exports and files are removed. Conversations using them need another model.`}
        confirmLabel="Delete model"
        onConfirm={() =>
          deleteModel.mutate(model.id, {
            onSuccess: () => {
              toast.add({ title: `“${model.name}” deleted` });
              setDeleting(false);
              onDeleted();
            },
          })
        }
        pending={deleteModel.isPending}
        error={deleteModel.error?.message}
      />
    </article>
  );
}
