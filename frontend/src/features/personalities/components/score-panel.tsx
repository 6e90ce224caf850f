/**
 * "Score texts": paste texts (one per line), and see how well each aligns with the
 * personality, every metric of each, and the overall alignment. The profile (mean and spread
 * of every metric) goes to the page, which sets it against the metric targets.
 */
import { useState } from 'react';

import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import table from '../../../components/table.module.css';
import { Button } from '../../../components/ui/button';
import { Form, FormError } from '../../../components/ui/form';
import { TextAreaField } from '../../../components/ui/text-area-field';
import { formatScore } from '../../../lib/format';
import { metricLabel } from '../../../lib/personality-metrics';
import { type SubmitErrors, submitErrors } from '../../../lib/submit-errors';
import {
  type PersonalityScore,
  type TextScore,
  useScorePersonality,
} from '../api/score-personality';
import { formatMetric } from '../utils/metrics';
import { linesOf } from '../utils/texts';
import styles from './personalities.module.css';

interface ScorePanelProps {
  personalityId: number;
  onScored: (score: PersonalityScore) => void;
}

const SHOWN = new Set(['texts']);

export function ScorePanel({ personalityId, onScored }: ScorePanelProps) {
  const score = useScorePersonality();
  const [errors, setErrors] = useState<SubmitErrors>({ fields: {}, form: null });

  function submit(values: Record<string, unknown>) {
    setErrors({ fields: {}, form: null });
    const texts = linesOf(typeof values.texts === 'string' ? values.texts : '');
    score.mutate(
      { personalityId, texts },
      {
        onSuccess: (result) => onScored(result),
        onError: (error) => setErrors(submitErrors(error, SHOWN)),
      },
    );
  }

  return (
    <section className={card.card} aria-labelledby="score-title" data-testid="score-panel">
      <div className={card.header}>
        <h3 id="score-title">Score texts</h3>
      </div>
      <Form errors={errors.fields} onFormSubmit={submit} aria-label="Score texts">
        <TextAreaField
          name="texts"
          label="Texts"
          description="One text per line: a model's replies, your examples, anything you want measured."
          placeholder="One text per line"
          rows={5}
          required
        />
        {errors.form && <FormError>{errors.form}</FormError>}
        <div>
          <Button type="submit" variant="primary" disabled={score.isPending}>
            {score.isPending ? 'Scoring…' : 'Score'}
          </Button>
        </div>
      </Form>
      {score.data && <ScoreResult result={score.data} />}
    </section>
  );
}

function ScoreResult({ result }: { result: PersonalityScore }) {
  const { mean = 0, std = 0 } = result.alignment;
  return (
    <div className={styles.sliders} data-testid="score-result">
      <p>
        Alignment{' '}
        <strong data-testid="score-alignment">
          {formatScore(mean)} ± {formatScore(std)}
        </strong>{' '}
        <span className={muted.small}>
          over {result.texts.length} {result.texts.length === 1 ? 'text' : 'texts'} (version{' '}
          {result.version_number}; 0 is unlike it, 1 is exactly it)
        </span>
      </p>
      {[...result.notices, ...result.profile.warnings].map((notice) => (
        <p key={notice} className={styles.notice}>
          {notice}
        </p>
      ))}
      <div className={table.wrap}>
        <table className={`${table.table} ${table.top}`} data-testid="score-texts">
          <thead>
            <tr>
              <th scope="col">Text</th>
              <th scope="col" className={table.numeric}>
                Alignment
              </th>
              <th scope="col">Metrics</th>
            </tr>
          </thead>
          <tbody>
            {result.texts.map((text) => (
              <ScoreRow key={text.index} text={text} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function ScoreRow({ text }: { text: TextScore }) {
  return (
    <tr data-testid="score-row">
      <td className={styles.excerpt}>
        {text.excerpt}
        {text.warnings.map((warning) => (
          <span key={warning} className={`${styles.notice} ${muted.small}`}>
            {' '}
            ({warning})
          </span>
        ))}
      </td>
      <td className={table.numeric}>{formatScore(text.alignment)}</td>
      <td>
        <details className={styles.metricsDetails}>
          <summary>All {Object.keys(text.metrics).length}</summary>
          <dl className={styles.metricList}>
            {Object.entries(text.metrics).map(([name, value]) => (
              <div key={name}>
                <dt>{metricLabel(name)}</dt>
                <dd>{formatMetric(value)}</dd>
              </div>
            ))}
          </dl>
        </details>
      </td>
    </tr>
  );
}
