/**
 * "Upload model": a `.gguf`, a `.sou` or a zip of a Hugging Face model directory, under a model
 * name, with a progress bar that can be cancelled. The import runs in a worker afterwards.
 */
import { useEffect, useRef, useState } from 'react';

import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { FormError } from '../../../components/ui/form';
import { ProgressBar } from '../../../components/ui/progress-bar';
import { SelectField } from '../../../components/ui/select-field';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { formatBytes } from '../../../lib/format-bytes';
import { isAbortError, type UploadProgress, uploadPercent } from '../../../lib/upload';
import { useUploadModelVersion, type VersionBump } from '../api/upload-model-version';
import styles from './models.module.css';
import { BUMP_OPTIONS } from './register-from-run-dialog';

const ACCEPTED = '.gguf,.sou,.zip';

interface UploadModelDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  modelName?: string;
  onUploaded: (version: ModelVersion) => void;
}

export function UploadModelDialog({
  open,
  onOpenChange,
  modelName,
  onUploaded,
}: UploadModelDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Upload model"
      description="A GGUF file, a .sou file, or a zip of a Hugging Face model directory."
      dismissOnOutsidePress={false}
    >
      <UploadModelForm modelName={modelName} onUploaded={onUploaded} />
    </Dialog>
  );
}

function UploadModelForm({
  modelName,
  onUploaded,
}: {
  modelName?: string;
  onUploaded: (version: ModelVersion) => void;
}) {
  const upload = useUploadModelVersion();
  const [name, setName] = useState(modelName ?? '');
  const [bump, setBump] = useState<VersionBump>('minor');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);

  // Closing the dialog stops an upload nobody is watching any more.
  useEffect(() => () => controller.current?.abort(), []);

  function start() {
    if (file === null || name.trim() === '') return;
    const abort = new AbortController();
    controller.current = abort;
    setError(null);
    setProgress({ loaded: 0, total: file.size });
    upload.mutate(
      { name, file, bump, onProgress: setProgress, signal: abort.signal },
      {
        onSuccess: onUploaded,
        onError: (failure) => {
          if (!isAbortError(failure)) setError(failure.message);
        },
        onSettled: () => {
          controller.current = null;
          setProgress(null);
        },
      },
    );
  }

  if (progress !== null && file !== null) {
    const percent = uploadPercent(progress);
    return (
      <div className={`${stack.stack} ${styles.shrink}`}>
        <ProgressBar
          label={`Uploading ${file.name}`}
          value={percent}
          valueText={`${percent}% · ${formatBytes(progress.loaded)} of ${formatBytes(progress.total)}`}
          data-testid="model-upload-progress"
        />
        <DialogActions>
          <Button onClick={() => controller.current?.abort()}>Cancel upload</Button>
        </DialogActions>
      </div>
    );
  }

  return (
    <div className={`${stack.stack} ${styles.shrink}`}>
      <label className={field.field}>
        <span className={field.label}>Model name</span>
        <input
          className={field.input}
          value={name}
          onChange={(event) => setName(event.target.value)}
          placeholder="e.g. smollm2-chat"
          autoComplete="off"
        />
      </label>
      <label className={field.field}>
        <span className={field.label}>File</span>
        <input
          type="file"
          accept={ACCEPTED}
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
        {file && <span className={muted.small}>{formatBytes(file.size)}</span>}
      </label>
      <SelectField
        name="bump"
        label="Version"
        value={bump}
        onValueChange={(value) => setBump(value as VersionBump)}
        options={BUMP_OPTIONS}
      />
      {error && <FormError>{error}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button variant="primary" disabled={file === null || name.trim() === ''} onClick={start}>
          Upload
        </Button>
      </DialogActions>
    </div>
  );
}
