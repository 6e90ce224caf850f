/**
 * The Models page: registered models and their versions, with the three ways to add one (the
 * starter model in one click, a finished training run, an uploaded file). The selection lives
 * in the URL (`?model=&version=`), so a version can be linked to and survives a reload.
 */
import { useState } from 'react';
import { useSearchParams } from 'react-router';

import { AccessBadge } from '../../../components/access-badge';
import { EmptyState } from '../../../components/empty-state';
import muted from '../../../components/muted.module.css';
import { Page } from '../../../components/page';
import { QueryState } from '../../../components/query-state';
import { type Scope, ScopeFilter, scopeQuery } from '../../../components/scope-filter';
import { Button } from '../../../components/ui/button';
import { MasterDetail } from '../../../components/ui/master-detail';
import { useToast } from '../../../components/ui/toast';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { useModels } from '../../../lib/api/get-models';
import { idParam } from '../../../lib/search-params';
import { type StarterModelVersion, useAddStarterModel } from '../api/add-starter-model';
import { useRegistryUpdates } from '../hooks/use-registry-updates';
import { ModelDetail } from './model-detail';
import type { FineTuneSlot } from './version-detail';
import { RegisterFromRunDialog } from './register-from-run-dialog';
import { UploadModelDialog } from './upload-model-dialog';

/** `fineTune`: the training feature's dialog, for a version's "Fine-tune" button. */
export function ModelsPage({ fineTune }: { fineTune?: FineTuneSlot } = {}) {
  useRegistryUpdates();
  const [scope, setScope] = useState<Scope>('all');
  const models = useModels(100, scopeQuery(scope));
  const starter = useAddStarterModel();
  const toast = useToast();
  const [params, setParams] = useSearchParams();
  const [registerOpen, setRegisterOpen] = useState(false);
  const [uploadOpen, setUploadOpen] = useState(false);

  const list = models.data?.results ?? [];
  const selectedId = idParam(params.get('model'));
  const versionId = idParam(params.get('version'));
  const selected = list.find((model) => model.id === selectedId) ?? list[0] ?? null;

  function select(modelId: number | null, version: number | null = null) {
    const next = new URLSearchParams();
    if (modelId !== null) next.set('model', String(modelId));
    if (version !== null) next.set('version', String(version));
    setParams(next, { replace: true });
  }

  function added(version: Pick<ModelVersion, 'id' | 'registered_model'>, title: string) {
    toast.add({ title, description: 'It is being imported; its status updates here.' });
    select(version.registered_model, version.id);
  }

  function starterAnswered(version: StarterModelVersion) {
    if (version.created) {
      added(version, `Adding ${version.model_name}`);
      return;
    }
    toast.add({
      title: `You already have ${version.model_name}`,
      description:
        version.status === 'ready'
          ? `Version ${version.version} is ready to chat with.`
          : `Version ${version.version} is still being imported; its status updates here.`,
    });
    select(version.registered_model, version.id);
  }

  const actions = (
    <>
      <Button
        variant="primary"
        disabled={starter.isPending}
        onClick={() =>
          starter.mutate(undefined, {
            onSuccess: starterAnswered,
            onError: (error) =>
              toast.add({ title: 'Could not add the starter model', description: error.message }),
          })
        }
      >
        {starter.isPending ? 'Adding…' : 'Add the starter model'}
      </Button>
      <Button onClick={() => setRegisterOpen(true)}>Register from training run</Button>
      <Button onClick={() => setUploadOpen(true)}>Upload model</Button>
    </>
  );

  return (
    <Page
      title="Models"
      lead="Versioned models: promote them through stages, see what they were trained on, and export quantized .sou files with a quality report."
      actions={actions}
    >
      <ScopeFilter label="Which models" value={scope} onChange={setScope} />
      <QueryState
        query={models}
        loading="Loading models…"
        failure="Could not load your models."
        statusClassName={muted.small}
        isEmpty={list.length === 0}
        empty={
          <EmptyState
            title={scope === 'shared' ? 'Nothing shared with you yet' : 'No models yet'}
            description="Add the small starter chat model in one click, register a finished training run, or upload a GGUF, .sou or Hugging Face zip."
            data-testid="models-empty"
          />
        }
      >
        <MasterDetail
          label="Models"
          items={list}
          selectedId={selected?.id ?? null}
          onSelect={(id) => select(id)}
          meta={(model) => (
            <>
              {model.version_count} {model.version_count === 1 ? 'version' : 'versions'}{' '}
              <AccessBadge accessRole={model.access_role} />
            </>
          )}
          itemTestId="model-item"
        >
          {selected && (
            <ModelDetail
              key={selected.id}
              model={selected}
              selectedVersionId={versionId}
              onSelectVersion={(version) => select(selected.id, version)}
              onDeleted={() => select(null)}
              fineTune={fineTune}
            />
          )}
        </MasterDetail>
      </QueryState>
      <RegisterFromRunDialog
        open={registerOpen}
        onOpenChange={setRegisterOpen}
        onRegistered={(version) => {
          setRegisterOpen(false);
          added(version, `Registered ${version.model_name} ${version.version}`);
        }}
      />
      <UploadModelDialog
        open={uploadOpen}
        onOpenChange={setUploadOpen}
        // An upload by name goes into your own model of that name, never into a shared one.
        modelName={selected?.access_role === 'owner' ? selected.name : undefined}
        onUploaded={(version) => {
          setUploadOpen(false);
          added(version, `Uploaded ${version.model_name} ${version.version}`);
        }}
      />
    </Page>
  );
}
