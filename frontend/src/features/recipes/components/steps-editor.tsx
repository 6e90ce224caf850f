/**
 * The builder's ordered list of steps: a card per step (configure, move up or down, remove)
 * and a picker that adds a step of any kind at the end. `previews` are drawn under the step
 * with the same index.
 */
import { type ReactNode, useState } from 'react';

import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import {
  addStep,
  type DraftStep,
  moveStep,
  removeStep,
  STEP_SPECS,
  stepErrors,
  type StepType,
  updateStep,
} from '../utils/steps';
import styles from './recipes.module.css';
import { StepCard } from './step-card';

interface StepsEditorProps {
  steps: DraftStep[];
  onChange: (steps: DraftStep[]) => void;
  /** The server's field messages (`steps.<index>.<option>`) from the last save or preview. */
  fieldErrors?: Readonly<Record<string, readonly string[]>>;
  previews?: readonly ReactNode[];
}

export function StepsEditor({
  steps,
  onChange,
  fieldErrors = {},
  previews = [],
}: StepsEditorProps) {
  const [adding, setAdding] = useState<StepType>('normalize');
  return (
    <section aria-labelledby="steps-title" className={styles.inputs}>
      <h2 id="steps-title">Steps</h2>
      {steps.length === 0 ? (
        <p className={muted.text} data-testid="steps-empty">
          No steps yet. Add the first one below; records go through the steps in order.
        </p>
      ) : (
        <ol className={styles.steps}>
          {steps.map((step, index) => (
            <StepCard
              key={step.key}
              step={step}
              index={index}
              count={steps.length}
              errors={stepErrors(fieldErrors, index)}
              onChange={(name, value) => onChange(updateStep(steps, index, name, value))}
              onMove={(offset) => onChange(moveStep(steps, index, offset))}
              onRemove={() => onChange(removeStep(steps, index))}
              preview={previews[index]}
            />
          ))}
        </ol>
      )}
      <div className={styles.addRow}>
        <label className={styles.inputs}>
          Step to add
          <select
            aria-label="Step to add"
            value={adding}
            onChange={(event) => setAdding(event.target.value as StepType)}
          >
            {STEP_SPECS.map((spec) => (
              <option key={spec.type} value={spec.type}>
                {spec.label}
              </option>
            ))}
          </select>
        </label>
        <Button onClick={() => onChange(addStep(steps, adding))}>Add step</Button>
      </div>
    </section>
  );
}
