/**
 * A labelled single-value slider (Base UI Slider): the label and the current value on one
 * line, the track below. Controlled by the caller, and nameless, so it does not take part in
 * a `Form`'s submitted values; callers send its value themselves.
 */
import { Slider as BaseSlider } from '@base-ui/react/slider';

import styles from './slider.module.css';

interface SliderProps {
  label: string;
  value: number;
  onValueChange: (value: number) => void;
  min?: number;
  max?: number;
  step?: number;
  /** How the value reads next to the label, e.g. "0.70". */
  format?: (value: number) => string;
  disabled?: boolean;
}

export function Slider({
  label,
  value,
  onValueChange,
  min = 0,
  max = 1,
  step = 0.05,
  format = (current) => current.toFixed(2),
  disabled,
}: SliderProps) {
  return (
    <BaseSlider.Root
      className={styles.root}
      value={value}
      min={min}
      max={max}
      step={step}
      disabled={disabled}
      onValueChange={(next: number | readonly number[]) =>
        onValueChange(typeof next === 'number' ? next : (next[0] ?? min))
      }
    >
      <BaseSlider.Label className={styles.label}>{label}</BaseSlider.Label>
      <span className={styles.value}>{format(value)}</span>
      <BaseSlider.Control className={styles.control}>
        <BaseSlider.Track className={styles.track}>
          <BaseSlider.Indicator className={styles.indicator} />
          <BaseSlider.Thumb className={styles.thumb} getAriaValueText={() => format(value)} />
        </BaseSlider.Track>
      </BaseSlider.Control>
    </BaseSlider.Root>
  );
}
