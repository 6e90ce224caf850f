/**
 * Upload documents into a collection: choose or drop several files, then each uploads in turn
 * with its own progress bar; a failure is shown on its file and the others go on.
 */
import { useQueryClient } from '@tanstack/react-query';
import { type DragEvent, useEffect, useId, useRef, useState } from 'react';

import buttonRow from '../../../components/button-row.module.css';
import card from '../../../components/card.module.css';
import dropZone from '../../../components/drop-zone.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { ProgressBar } from '../../../components/ui/progress-bar';
import { formatBytes } from '../../../lib/format-bytes';
import { isAbortError, type UploadProgress, uploadPercent } from '../../../lib/upload';
import { collectionsQueryKey } from '../../../lib/api/get-collections';
import { uploadDocument } from '../api/upload-document';
import styles from './documents.module.css';

const ACCEPTED = '.txt,.text,.md,.markdown,.html,.htm,.pdf';

interface Item {
  file: File;
  progress: UploadProgress | null;
  state: 'waiting' | 'uploading' | 'done' | 'failed' | 'cancelled';
  error?: string;
}

export function UploadDocuments({ collectionId }: { collectionId: number }) {
  const queryClient = useQueryClient();
  const inputId = useId();
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const [running, setRunning] = useState(false);
  const controller = useRef<AbortController | null>(null);

  // Leaving the collection stops uploads nobody is watching any more.
  useEffect(() => () => controller.current?.abort(), [collectionId]);

  function choose(files: FileList | null) {
    if (!files || files.length === 0) return;
    setItems(Array.from(files, (file) => ({ file, progress: null, state: 'waiting' as const })));
  }

  function setItem(index: number, change: Partial<Item>) {
    setItems((current) =>
      current.map((item, at) => (at === index ? { ...item, ...change } : item)),
    );
  }

  async function start() {
    const abort = new AbortController();
    controller.current = abort;
    setRunning(true);
    for (const [index, item] of items.entries()) {
      if (item.state !== 'waiting') continue;
      if (abort.signal.aborted) {
        setItem(index, { state: 'cancelled' });
        continue;
      }
      setItem(index, { state: 'uploading', progress: { loaded: 0, total: item.file.size } });
      try {
        await uploadDocument({
          collectionId,
          file: item.file,
          signal: abort.signal,
          onProgress: (progress) => setItem(index, { progress }),
        });
        setItem(index, { state: 'done' });
      } catch (error) {
        setItem(index, {
          state: isAbortError(error) ? 'cancelled' : 'failed',
          error: error instanceof Error ? error.message : String(error),
        });
      }
      void queryClient.invalidateQueries({ queryKey: collectionsQueryKey });
    }
    controller.current = null;
    setRunning(false);
  }

  const waiting = items.filter((item) => item.state === 'waiting').length;

  return (
    <section className={card.card} aria-label="Upload documents">
      <label
        htmlFor={inputId}
        className={dropZone.zone}
        data-dragging={dragging || undefined}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event: DragEvent<HTMLLabelElement>) => {
          event.preventDefault();
          setDragging(false);
          choose(event.dataTransfer.files);
        }}
      >
        <span className={dropZone.title}>Choose documents or drop them here</span>
        <span className={muted.small}>Plain text, Markdown, HTML or PDF; several at once.</span>
        <input
          id={inputId}
          type="file"
          multiple
          accept={ACCEPTED}
          className="visually-hidden"
          aria-label="Documents to upload"
          disabled={running}
          onChange={(event) => choose(event.target.files)}
        />
      </label>
      {items.length > 0 && (
        <ul className={stack.list}>
          {items.map((item, index) => {
            const percent = item.progress ? uploadPercent(item.progress) : 0;
            return (
              <li key={`${item.file.name}:${index}`} data-testid="document-upload">
                {item.state === 'uploading' && item.progress ? (
                  <ProgressBar
                    label={item.file.name}
                    value={percent}
                    valueText={`${percent}% · ${formatBytes(item.progress.loaded)} of ${formatBytes(item.progress.total)}`}
                  />
                ) : (
                  <span className={styles.uploadRow}>
                    <span className={styles.fileName}>{item.file.name}</span>
                    <span className={item.state === 'failed' ? styles.errorText : muted.small}>
                      {item.state === 'failed'
                        ? item.error
                        : item.state === 'done'
                          ? 'Uploaded'
                          : item.state === 'cancelled'
                            ? 'Cancelled'
                            : formatBytes(item.file.size)}
                    </span>
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <div className={`${buttonRow.row} ${buttonRow.end}`}>
        {running && <Button onClick={() => controller.current?.abort()}>Cancel</Button>}
        <Button variant="primary" disabled={running || waiting === 0} onClick={() => void start()}>
          Upload
        </Button>
      </div>
    </section>
  );
}
