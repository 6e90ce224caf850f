/**
 * "Pull from Hugging Face": a repo id (with revision, and the GGUF file when the repo has
 * several), inspected first so the user sees the license, model card, download size and
 * architecture before anything is imported; then the pull adds an importing version whose
 * progress the model page shows.
 */
import { useState } from 'react';

import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import terms from '../../../components/term-list.module.css';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { FormError } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import { ApiError } from '../../../lib/api-client';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { formatBytes } from '../../../lib/format-bytes';
import { type HubInspection, useInspectHubRepo } from '../api/inspect-hub-repo';
import { usePullFromHub } from '../api/pull-from-hub';
import styles from './models.module.css';

interface PullFromHubDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  modelId: number;
  onPulled: (version: ModelVersion) => void;
}

export function PullFromHubDialog({
  open,
  onOpenChange,
  modelId,
  onPulled,
}: PullFromHubDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Pull from Hugging Face"
      description="Inspect a repo's license, card, size and architecture, then import it as a new version."
    >
      <PullFromHubForm modelId={modelId} onPulled={onPulled} />
    </Dialog>
  );
}

/** The server's words for a failed request: the field's message when it named one. */
function failureText(error: Error): string {
  if (!(error instanceof ApiError)) return error.message;
  return error.fieldMessage('repo_id') ?? error.fieldMessage('filename') ?? error.message;
}

function PullFromHubForm({
  modelId,
  onPulled,
}: {
  modelId: number;
  onPulled: (version: ModelVersion) => void;
}) {
  const inspect = useInspectHubRepo(modelId);
  const pull = usePullFromHub(modelId);
  const [repoId, setRepoId] = useState('');
  const [revision, setRevision] = useState('main');
  const [filename, setFilename] = useState('');
  const found = inspect.data;

  function runInspect(file: string) {
    setFilename(file);
    pull.reset();
    inspect.mutate({ repo_id: repoId.trim(), revision: revision.trim() || 'main', filename: file });
  }

  const failure = inspect.error ?? pull.error;
  const pullable = found !== undefined && found.problem === '' && !inspect.isPending;

  return (
    <div className={`${stack.stack} ${styles.shrink}`}>
      <label className={field.field}>
        <span className={field.label}>Repository</span>
        <input
          className={field.input}
          value={repoId}
          onChange={(event) => {
            setRepoId(event.target.value);
            inspect.reset();
          }}
          placeholder="owner/name"
          autoComplete="off"
        />
      </label>
      <label className={field.field}>
        <span className={field.label}>Revision</span>
        <input
          className={field.input}
          value={revision}
          onChange={(event) => {
            setRevision(event.target.value);
            inspect.reset();
          }}
          autoComplete="off"
        />
      </label>
      {found && found.gguf_files.length > 1 && (
        <SelectField
          name="filename"
          label="GGUF file"
          value={filename}
          onValueChange={runInspect}
          options={[
            { value: '', label: 'Choose a file…', disabled: true },
            ...found.gguf_files.map((name) => ({ value: name, label: name })),
          ]}
        />
      )}
      {found && <InspectionSummary found={found} />}
      {failure && <FormError>{failureText(failure)}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button
          disabled={repoId.trim() === '' || inspect.isPending}
          onClick={() => runInspect(filename)}
        >
          {inspect.isPending ? 'Inspecting…' : 'Inspect'}
        </Button>
        <Button
          variant="primary"
          disabled={!pullable || pull.isPending}
          onClick={() =>
            found &&
            pull.mutate(
              { repo_id: found.repo_id, revision: found.revision, filename: found.filename },
              { onSuccess: onPulled },
            )
          }
        >
          Pull
        </Button>
      </DialogActions>
    </div>
  );
}

function InspectionSummary({ found }: { found: HubInspection }) {
  return (
    <div className={stack.stack} data-testid="hub-inspection">
      <dl className={`${terms.list} ${terms.figures}`}>
        <div>
          <dt>License</dt>
          <dd>{found.license || 'not stated'}</dd>
        </div>
        <div>
          <dt>Architecture</dt>
          <dd>
            {found.architecture || 'unknown'}{' '}
            <Badge tone={found.supported ? 'success' : 'danger'}>
              {found.supported ? 'supported' : 'not supported'}
            </Badge>
          </dd>
        </div>
        <div>
          <dt>Download</dt>
          <dd>
            {formatBytes(found.total_bytes)} in {found.download.length}{' '}
            {found.download.length === 1 ? 'file' : 'files'}
          </dd>
        </div>
        {found.gated && (
          <div>
            <dt>Access</dt>
            <dd>gated</dd>
          </div>
        )}
      </dl>
      {found.problem && (
        <p role="alert" className={styles.errorText}>
          {found.problem}
        </p>
      )}
      {found.card ? (
        <div className={styles.hubCard} aria-label="Model card" tabIndex={0} data-testid="hub-card">
          {found.card}
        </div>
      ) : (
        <p className={muted.small}>The repo has no model card.</p>
      )}
    </div>
  );
}
