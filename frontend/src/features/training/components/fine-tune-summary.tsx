/**
 * What a fine-tune starts from, for its run page: the method and the base model version
 * (linking to it), or that the version was deleted (the run keeps its own copy of the base).
 * Nothing for a run from scratch.
 */
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import type { TrainingRun } from '../../../lib/api/get-training-runs';

const METHOD_NAMES: Record<string, string> = {
  full: 'Full fine-tune',
  lora: 'LoRA',
  qlora: 'LoRA over a quantized base',
  dpo: 'DPO',
};

export function FineTuneSummary({ training }: { training: TrainingRun }) {
  const method = training.method ?? 'scratch';
  if (method === 'scratch') return null;
  const base = training.base_model_version;
  const lora = (training.config as { lora?: { enabled?: boolean } }).lora;
  const adapters = method === 'dpo' && lora?.enabled ? ' with LoRA' : '';
  return (
    <span className={muted.small} data-testid="fine-tune-summary">
      {METHOD_NAMES[method] ?? method}
      {adapters} of{' '}
      {base ? (
        <Link to={`/models?model=${base.registered_model}&version=${base.id}`}>
          {base.model_name} {base.version}
        </Link>
      ) : (
        'a deleted model version'
      )}
    </span>
  );
}
