/**
 * What a run's data lost to its context, for its run page: how many examples were cut to fit
 * and how many preference pairs were left out. Nothing when the data fit whole.
 */
import muted from '../../../components/muted.module.css';
import type { TrainingRun } from '../../../lib/api/get-training-runs';

function count(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

export function dataFitText(training: TrainingRun): string | null {
  const cut = training.cut_examples ?? 0;
  const dropped = training.dropped_pairs ?? 0;
  if (!cut && !dropped) return null;
  const context = training.context_tokens
    ? `the ${training.context_tokens}-token context`
    : 'the context';
  const parts: string[] = [];
  if (cut) {
    // A DPO run cuts a pair's prompt (keeping its end); its replies are kept whole.
    parts.push(
      training.method === 'dpo'
        ? `${count(cut, 'preference pair was', 'preference pairs were')} longer than ${context} and kept only the end of the prompt`
        : `${count(cut, 'example was', 'examples were')} longer than ${context} and ${cut === 1 ? 'was' : 'were'} cut`,
    );
  }
  if (dropped) {
    parts.push(
      `${count(dropped, 'preference pair', 'preference pairs')} could not fit and ${dropped === 1 ? 'was' : 'were'} left out`,
    );
  }
  return parts.join('; ');
}

export function DataFitNote({ training }: { training: TrainingRun }) {
  const text = dataFitText(training);
  if (!text) return null;
  return (
    <span className={muted.small} data-testid="data-fit-note">
      {text}
    </span>
  );
}
