/**
 * A neural version's training: progress by epoch and the loss per epoch as a chart that grows
 * while it trains (the page feeds it from the version's socket), or why training failed.
 */
import card from '../../../components/card.module.css';
import { CHART_COLORS, type ChartData, LineChart } from '../../../components/ui/line-chart';
import { ProgressBar } from '../../../components/ui/progress-bar';
import type { PersonalityVersion } from '../api/get-personality';
import styles from './personalities.module.css';

const LOSS_SERIES = [{ label: 'loss', color: CHART_COLORS[0] }];

function plannedEpochs(version: PersonalityVersion): number | null {
  const epochs = version.provenance.epochs;
  return typeof epochs === 'number' ? epochs : null;
}

export function TrainingPanel({ version }: { version: PersonalityVersion }) {
  const epochs = plannedEpochs(version);
  const done = version.metrics.at(-1)?.epoch ?? 0;
  const data: ChartData = [
    version.metrics.map((point) => point.epoch),
    version.metrics.map((point) => point.loss),
  ];
  return (
    <section className={card.card} aria-labelledby="training-title" data-testid="training-panel">
      <div className={card.header}>
        <h3 id="training-title">Training of version {version.number}</h3>
      </div>
      {version.status === 'failed' ? (
        <p role="alert" className={styles.error}>
          Training failed: {version.error || 'no reason was given.'}
        </p>
      ) : (
        <ProgressBar
          value={version.progress * 100}
          label={version.status === 'training' ? 'Training' : 'Trained'}
          valueText={epochs === null ? `Epoch ${done}` : `Epoch ${done} of ${epochs}`}
          tone={version.status === 'ready' ? 'success' : 'accent'}
          data-testid="training-progress"
        />
      )}
      <LineChart
        title="Loss per epoch"
        series={LOSS_SERIES}
        data={data}
        xLabel="epoch"
        emptyText="The first epoch's loss appears here when it finishes."
        data-testid="training-loss-chart"
      />
    </section>
  );
}
