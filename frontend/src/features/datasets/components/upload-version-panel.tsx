/**
 * Upload a file as a new version of a dataset: pick or drop a file, optionally name the
 * JSON/CSV columns, then watch a progress bar (percentage and bytes) that can be cancelled.
 * Afterwards a note in the panel (not a toast over the page) follows the new version's
 * validation as the versions list reports it.
 */
import { type DragEvent, useEffect, useId, useRef, useState } from 'react';

import buttonRow from '../../../components/button-row.module.css';
import card from '../../../components/card.module.css';
import dropZone from '../../../components/drop-zone.module.css';
import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import { FormError } from '../../../components/ui/form';
import { ProgressBar } from '../../../components/ui/progress-bar';
import {
  type DatasetVersion,
  useDatasetVersions,
  versionReport,
} from '../../../lib/api/get-dataset-versions';
import { formatBytes } from '../../../lib/format-bytes';
import {
  isAbortError,
  type UploadColumns,
  type UploadProgress,
  useUploadDatasetVersion,
} from '../api/upload-dataset-version';
import styles from './datasets.module.css';

const ACCEPTED = '.txt,.jsonl,.json,.csv,.zip';
const COLUMN_FIELDS = [
  { key: 'text_column', label: 'Text column', placeholder: 'text' },
  { key: 'prompt_column', label: 'Prompt column', placeholder: 'prompt' },
  { key: 'response_column', label: 'Response column', placeholder: 'response' },
] as const;

interface UploadVersionPanelProps {
  datasetId: number;
  onUploaded: (version: DatasetVersion) => void;
}

export function uploadPercent(progress: UploadProgress): number {
  if (progress.total <= 0) return 0;
  return Math.min(100, Math.floor((progress.loaded / progress.total) * 100));
}

interface Uploaded {
  id: number;
  number: number;
  /** False when the file was already a version of this dataset. */
  created: boolean;
}

/** What became of the last upload, in words, from the version's current status. */
function uploadOutcome(uploaded: Uploaded, version: DatasetVersion | undefined): string {
  const name = `Version ${uploaded.number}`;
  if (!uploaded.created)
    return `This file is already ${name.toLowerCase()}; nothing new was stored.`;
  if (version === undefined || version.status === 'validating') {
    return `${name} uploaded. Validating it…`;
  }
  if (version.status === 'valid') {
    const records = versionReport(version)?.records;
    return records === undefined
      ? `${name} uploaded and valid.`
      : `${name} uploaded and valid: ${records.toLocaleString()} records.`;
  }
  return `${name} uploaded but is invalid; its report below lists the problems.`;
}

export function UploadVersionPanel({ datasetId, onUploaded }: UploadVersionPanelProps) {
  const upload = useUploadDatasetVersion();
  const versions = useDatasetVersions(datasetId);
  const [uploaded, setUploaded] = useState<Uploaded | null>(null);
  const inputId = useId();
  const [file, setFile] = useState<File | null>(null);
  const [columns, setColumns] = useState<UploadColumns>({});
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const controller = useRef<AbortController | null>(null);

  // Leaving the page (or switching dataset) stops an upload nobody is watching any more.
  useEffect(() => () => controller.current?.abort(), [datasetId]);

  function choose(next: File | null) {
    setFile(next);
    setError(null);
    setUploaded(null);
  }

  function drop(event: DragEvent<HTMLLabelElement>) {
    event.preventDefault();
    setDragging(false);
    choose(event.dataTransfer.files[0] ?? null);
  }

  function start() {
    if (file === null) return;
    const abort = new AbortController();
    controller.current = abort;
    setError(null);
    setProgress({ loaded: 0, total: file.size });
    upload.mutate(
      { datasetId, file, columns, onProgress: setProgress, signal: abort.signal },
      {
        onSuccess: ({ version, created }) => {
          setUploaded({ id: version.id, number: version.number, created });
          setFile(null);
          onUploaded(version);
        },
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
      <section className={card.card} aria-label="Upload in progress">
        <ProgressBar
          label={`Uploading ${file.name}`}
          value={percent}
          valueText={`${percent}% · ${formatBytes(progress.loaded)} of ${formatBytes(progress.total)}`}
          ariaValueText={`${percent}%, ${formatBytes(progress.loaded)} of ${formatBytes(progress.total)}`}
          data-testid="upload-progress"
        />
        <div className={`${buttonRow.row} ${buttonRow.end}`}>
          <Button size="small" onClick={() => controller.current?.abort()}>
            Cancel
          </Button>
        </div>
      </section>
    );
  }

  return (
    <section className={card.card} aria-label="Upload a new version">
      <label
        htmlFor={inputId}
        className={dropZone.zone}
        data-dragging={dragging || undefined}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
      >
        <span className={`${dropZone.title} ${styles.dropTitle}`}>
          {file ? file.name : 'Choose a file or drop it here'}
        </span>
        <span className={muted.text}>
          {file
            ? formatBytes(file.size)
            : 'Plain text, JSON Lines, JSON, CSV, or a zip of them. Large files are fine.'}
        </span>
        <input
          id={inputId}
          type="file"
          accept={ACCEPTED}
          className="visually-hidden"
          aria-label="File to upload"
          onChange={(event) => choose(event.target.files?.[0] ?? null)}
        />
      </label>
      <details className={styles.columns}>
        <summary>Columns for JSON and CSV records</summary>
        <p className={muted.text}>
          Records are read from the text column, or from a prompt and response pair for instruction
          tuning. Leave blank for the names shown.
        </p>
        <div className={styles.columnFields}>
          {COLUMN_FIELDS.map(({ key, label, placeholder }) => (
            <label key={key} className={`${field.field} ${field.small}`}>
              <span>{label}</span>
              <input
                className={`${field.input} ${field.short}`}
                placeholder={placeholder}
                value={columns[key] ?? ''}
                onChange={(event) => setColumns({ ...columns, [key]: event.target.value })}
              />
            </label>
          ))}
        </div>
      </details>
      {error && <FormError>{error}</FormError>}
      {uploaded && (
        <p role="status" className={muted.text} data-testid="upload-outcome">
          {uploadOutcome(
            uploaded,
            versions.data?.results.find((version) => version.id === uploaded.id),
          )}
        </p>
      )}
      <div className={`${buttonRow.row} ${buttonRow.end}`}>
        <Button variant="primary" disabled={file === null} onClick={start}>
          Upload
        </Button>
      </div>
    </section>
  );
}
