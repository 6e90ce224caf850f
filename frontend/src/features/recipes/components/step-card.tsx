/**
 * One step of a recipe in the builder: its number and kind, buttons to move or remove it, a
 * field per option of its kind (with the server's message under the field it refused), and
 * the records the preview found after it.
 */
import type { ReactNode } from 'react';

import card from '../../../components/card.module.css';
import muted from '../../../components/muted.module.css';
import { Button } from '../../../components/ui/button';
import { type DraftStep, type OptionSpec, stepSpec } from '../utils/steps';
import { FeatureSelect } from './feature-select';
import styles from './recipes.module.css';

interface StepCardProps {
  step: DraftStep;
  index: number;
  count: number;
  /** The server's messages per option name, for this step. */
  errors: Readonly<Record<string, string | undefined>>;
  onChange: (name: string, value: string | boolean) => void;
  onMove: (offset: number) => void;
  onRemove: () => void;
  preview?: ReactNode;
}

function OptionField({
  option,
  value,
  error,
  label,
  onChange,
}: {
  option: OptionSpec;
  value: string | boolean;
  error: string | undefined;
  label: string;
  onChange: (value: string | boolean) => void;
}) {
  const invalid = error !== undefined;
  if (option.kind === 'bool') {
    return (
      <label className={styles.check}>
        <input
          type="checkbox"
          aria-label={label}
          checked={value === true}
          onChange={(event) => onChange(event.target.checked)}
        />{' '}
        {option.label}
        {invalid && <span className={styles.error}>{error}</span>}
      </label>
    );
  }
  return (
    <label>
      {option.label}
      {option.kind === 'feature' ? (
        <FeatureSelect value={String(value)} label={label} invalid={invalid} onChange={onChange} />
      ) : option.kind === 'choice' ? (
        <select
          aria-label={label}
          aria-invalid={invalid}
          value={String(value)}
          onChange={(event) => onChange(event.target.value)}
        >
          {option.choices?.map((choice) => (
            <option key={choice} value={choice}>
              {choice}
            </option>
          ))}
        </select>
      ) : (
        <input
          aria-label={label}
          aria-invalid={invalid}
          value={String(value)}
          inputMode={option.kind === 'int' || option.kind === 'float' ? 'decimal' : undefined}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
      {option.hint && <span className={styles.hint}>{option.hint}</span>}
      {invalid && <span className={styles.error}>{error}</span>}
    </label>
  );
}

export function StepCard({
  step,
  index,
  count,
  errors,
  onChange,
  onMove,
  onRemove,
  preview,
}: StepCardProps) {
  const spec = stepSpec(step.type);
  const number = index + 1;
  const title = `${number}. ${spec?.label ?? step.type}`;
  return (
    <li className={card.card} data-testid="recipe-step" aria-label={`Step ${number}`}>
      <header className={styles.stepHeader}>
        <h3>{title}</h3>
        <div>
          <Button
            size="small"
            variant="ghost"
            disabled={index === 0}
            aria-label={`Move step ${number} up`}
            onClick={() => onMove(-1)}
          >
            ↑
          </Button>
          <Button
            size="small"
            variant="ghost"
            disabled={index === count - 1}
            aria-label={`Move step ${number} down`}
            onClick={() => onMove(1)}
          >
            ↓
          </Button>
          <Button
            size="small"
            variant="ghost"
            aria-label={`Remove step ${number}`}
            onClick={onRemove}
          >
            Remove
          </Button>
        </div>
      </header>
      {spec && <p className={muted.small}>{spec.description}</p>}
      {errors.type && <p className={styles.error}>{errors.type}</p>}
      {spec && spec.options.length > 0 && (
        <div className={styles.options}>
          {spec.options.map((option) => (
            <OptionField
              key={option.name}
              option={option}
              value={step.values[option.name] ?? option.initial}
              error={errors[option.name]}
              label={`Step ${number} ${option.label}`}
              onChange={(value) => onChange(option.name, value)}
            />
          ))}
        </div>
      )}
      {preview}
    </li>
  );
}
