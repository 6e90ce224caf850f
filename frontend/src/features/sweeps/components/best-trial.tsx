/**
 * The best trial so far, with "Register as model version" (the registry's register-from-run,
 * for the trial's training run and its best checkpoint) when it trained a model.
 */
import { useState } from 'react';
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import { formatChartValue } from '../../../components/ui/line-chart';
import type { Trial } from '../api/get-sweep-trials';
import { useRegisterTrial } from '../api/register-trial';
import styles from './sweeps.module.css';

interface BestTrialProps {
  sweepName: string;
  trial: Trial;
  metric?: string;
}

export function BestTrial({ sweepName, trial, metric }: BestTrialProps) {
  const register = useRegisterTrial();
  const [message, setMessage] = useState<string | null>(null);
  const trainingRun = trial.training_run ?? null;

  function registerVersion() {
    if (trainingRun === null) return;
    setMessage(null);
    register.mutate(
      {
        training_run_id: trainingRun,
        name: `${sweepName} best`.replace(/[:/]+/g, '-').slice(0, 100),
        checkpoint: 'best',
        bump: 'minor',
        description: `Best trial (${trial.number}) of sweep ${sweepName}`,
      },
      {
        onSuccess: (version) => setMessage(`Registered as version ${version.version}.`),
        onError: (error) => setMessage(error.message),
      },
    );
  }

  return (
    <div className={styles.bestCard} data-testid="best-trial">
      <strong>Best: trial {trial.number}</strong>
      <span>
        {metric} {typeof trial.objective === 'number' ? formatChartValue(trial.objective) : '—'}
      </span>
      <span className={muted.text}>
        {Object.entries(trial.params)
          .map(
            ([name, value]) =>
              `${name}=${typeof value === 'number' ? formatChartValue(value) : JSON.stringify(value)}`,
          )
          .join(', ')}
      </span>
      {trial.run != null && <Link to={`/experiments/runs/${trial.run}`}>Open run</Link>}
      {trainingRun !== null && (
        <Button
          size="small"
          variant="primary"
          onClick={registerVersion}
          disabled={register.isPending}
        >
          Register as model version
        </Button>
      )}
      {message && <span role="status">{message}</span>}
    </div>
  );
}
