/** A short hint shown on hover or focus of its trigger (Base UI Tooltip). */
import { Tooltip as BaseTooltip } from '@base-ui/react/tooltip';
import type { ReactElement, ReactNode } from 'react';

import styles from './tooltip.module.css';

/** Shares the open delay between tooltips, so moving across several feels immediate. */
export const TooltipProvider = BaseTooltip.Provider;

interface TooltipProps {
  label: ReactNode;
  /** The element the tooltip describes; it must be focusable for keyboard users. */
  children: ReactElement;
}

export function Tooltip({ label, children }: TooltipProps) {
  return (
    <BaseTooltip.Root>
      <BaseTooltip.Trigger render={children} />
      <BaseTooltip.Portal>
        <BaseTooltip.Positioner sideOffset={6}>
          <BaseTooltip.Popup className={styles.popup}>{label}</BaseTooltip.Popup>
        </BaseTooltip.Positioner>
      </BaseTooltip.Portal>
    </BaseTooltip.Root>
  );
}
