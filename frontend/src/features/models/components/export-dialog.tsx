/**
 * "Export": choose the quantized types to make from a ready version. Types that already exist
 * (and did not fail) are shown checked and disabled, since exporting them again changes nothing.
 */
import { useState } from 'react';

import field from '../../../components/field.module.css';
import muted from '../../../components/muted.module.css';
import stack from '../../../components/stack.module.css';
import { Button } from '../../../components/ui/button';
import { Dialog, DialogActions, DialogClose } from '../../../components/ui/dialog';
import { FormError } from '../../../components/ui/form';
import type { ModelVersion } from '../../../lib/api/get-model-versions';
import { EXPORT_TYPES, useCreateExports } from '../api/create-exports';
import styles from './models.module.css';

const DESCRIPTIONS: Record<(typeof EXPORT_TYPES)[number], string> = {
  F16: 'half precision, about half the size, practically lossless',
  BF16: 'bfloat16, the same size as F16 with a wider range',
  Q8_0: '8-bit blocks, about a quarter of F32, very close in quality',
  Q4_1: '4-bit blocks with offsets, small and fast',
  Q4_0: '4-bit blocks, the smallest and fastest, the most loss',
};

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
  const existing = new Set(
    version.exports.filter((item) => item.status !== 'failed').map((item) => item.qtype),
  );
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(['Q8_0', 'Q4_0']));

  function toggle(qtype: string, on: boolean) {
    const next = new Set(chosen);
    if (on) next.add(qtype);
    else next.delete(qtype);
    setChosen(next);
  }

  const wanted = EXPORT_TYPES.filter((qtype) => chosen.has(qtype) && !existing.has(qtype));

  return (
    <div className={`${stack.stack} ${styles.shrink}`}>
      <fieldset className={stack.fieldset}>
        <legend className={field.label}>Types</legend>
        {EXPORT_TYPES.map((qtype) => (
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
      {create.error && <FormError>{create.error.message}</FormError>}
      <DialogActions>
        <DialogClose>Cancel</DialogClose>
        <Button
          variant="primary"
          disabled={wanted.length === 0 || create.isPending}
          onClick={() => create.mutate(wanted, { onSuccess: () => onExported(wanted) })}
        >
          {create.isPending ? 'Starting…' : `Export ${wanted.length || ''}`.trim()}
        </Button>
      </DialogActions>
    </div>
  );
}
