/**
 * Tabs (Base UI Tabs): a row of tabs and the panel of the selected one. Arrow keys move
 * between tabs; only the selected panel is mounted, so a tab's queries start when it opens.
 */
import { Tabs as BaseTabs } from '@base-ui/react/tabs';
import type { ReactNode } from 'react';

import styles from './tabs.module.css';

export interface TabItem {
  value: string;
  label: string;
  content: ReactNode;
}

interface TabsProps {
  label: string;
  items: readonly TabItem[];
  defaultValue?: string;
  'data-testid'?: string;
}

export function Tabs({ label, items, defaultValue, 'data-testid': testId }: TabsProps) {
  return (
    <BaseTabs.Root
      defaultValue={defaultValue ?? items[0]?.value}
      className={styles.root}
      data-testid={testId}
    >
      <BaseTabs.List aria-label={label} className={styles.list}>
        {items.map((item) => (
          <BaseTabs.Tab key={item.value} value={item.value} className={styles.tab}>
            {item.label}
          </BaseTabs.Tab>
        ))}
      </BaseTabs.List>
      {items.map((item) => (
        <BaseTabs.Panel key={item.value} value={item.value} className={styles.panel}>
          {item.content}
        </BaseTabs.Panel>
      ))}
    </BaseTabs.Root>
  );
}
