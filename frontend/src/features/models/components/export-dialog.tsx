/**
 * "Export": choose the file format (`.sou` to run here, GGUF for llama.cpp and Ollama) and the
 * quantized types to make from a ready version, grouped with a hint each. Types that already
 * exist in that format (and did not fail) are shown checked and disabled, since exporting them
 * again changes nothing.
 */
import { useState } from 'react';

import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { FormError } from '../../../components/ui/form';
import { SelectField } from '../../../components/ui/select-field';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import {
  EXPORT_TYPE_GROUPS,
  type ExportFormat,
  type ExportType,
  useCreateExports,
} from '../api/create-exports';
import styles from './models.module.css';

const DESCRIPTIONS: Record<ExportType, string> = {
  F16: 'half precision, about half the size, practically lossless',
  BF16: 'bfloat16, the same size as F16 with a wider range',
  Q6_K: '6-bit, close to Q8_0 in quality at three quarters of its size',
  Q5_K_M: '5-bit mix, the sensitive tensors at Q6_K',
  Q5_K: "5-bit (llama.cpp's Q5_K_S), the output head at Q6_K",
  Q4_K_M: 'common default: 4-bit mix, the sensitive tensors at Q6_K',
  Q4_K: "4-bit (llama.cpp's Q4_K_S), the first layers' sensitive tensors at Q5_K",
  Q3_K_M: '3-bit mix, the sensitive tensors at Q4_K and Q5_K',
  Q3_K: "3-bit (llama.cpp's Q3_K_S), small, with noticeable loss",
  Q2_K: '2-bit mix, the sensitive tensors at Q3_K or Q4_K: the smallest, the most loss',
  Q8_0: '8-bit blocks, about a quarter of F32, very close in quality',
  Q4_1: '4-bit blocks with offsets, small and fast',
  Q4_0: '4-bit blocks, the smallest and fastest, the most loss',
};

const FORMATS = [
  { value: 'sou', label: '.sou (chat and the API here)' },
  { value: 'gguf', label: 'GGUF (llama.cpp, Ollama)' },
] as const;

interface ExportDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  version: ModelVersion;
  onExported: (qtypes: string[]) => void;
}

export function ExportDialog({ open, onOpenChange, version, onExported }: ExportDialogProps) {
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title={`Export ${version.model_name} ${version.version}`}
      description="Each type is quantized and measured against full precision: size, perplexity, KL divergence and speed."
    >
      <ExportForm version={version} onExported={onExported} />
    </Dialog>
  );
}

function ExportForm({
  version,
  onExported,
}: {
  version: ModelVersion;
  onExported: (qtypes: string[]) => void;
}) {
  const create = useCreateExports(version.id);
  const [format, setFormat] = useState<ExportFormat>('sou');
  const existing = new Set(
    version.exports
      .filter((item) => item.status !== 'failed' && item.format === format)
      .map((item) => item.qtype),
  );
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(['Q8_0', 'Q4_K_M']));

  function toggle(qtype: string, on: boolean) {
    const next = new Set(chosen);
    if (on) next.add(qtype);
    else next.delete(qtype);
    setChosen(next);
  }

  const all: readonly ExportType[] = Object.values(EXPORT_TYPE_GROUPS).flat();
  const wanted = all.filter((qtype) => chosen.has(qtype) && !existing.has(qtype));

  return (
    <div className={`${stack.stack} ${styles.shrink}`}>
      <SelectField
        name="format"
        label="File format"
        options={FORMATS}
        value={format}
        onValueChange={(value) => setFormat(value as ExportFormat)}
        description={
          format === 'gguf'
            ? 'Quality and speed are measured on the same type as .sou; the GGUF file holds the same tensors.'
            : undefined
        }
      />
      {Object.entries(EXPORT_TYPE_GROUPS).map(([group, qtypes]) => (
        <fieldset key={group} className={stack.fieldset}>
          <legend className={field.label}>{group}</legend>
          {qtypes.map((qtype) => (
            <label key={qtype} className={styles.checkbox}>
              <input
                type="checkbox"
                name="qtypes"
                value={qtype}
                checked={existing.has(qtype) || chosen.has(qtype)}
                disabled={existing.has(qtype)}
                onChange={(event) => toggle(qtype, event.target.checked)}
              />
              <span>
                <strong>{qtype}</strong> <span className={muted.small}>{DESCRIPTIONS[qtype]}</span>
                {existing.has(qtype) && <span className={muted.small}> (already exported)</span>}
              </span>
            </label>
          ))}
        </fieldset>
      ))}
      {create.error && <FormError>{create.error.message}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button
          variant="primary"
          disabled={wanted.length === 0 || create.isPending}
          onClick={() =>
            create.mutate({ qtypes: wanted, format }, { onSuccess: () => onExported(wanted) })
          }
        >
          {create.isPending ? 'Starting…' : `Export ${wanted.length || ''}`.trim()}
        </Button>
      </DialogActions>
    </div>
  );
}
