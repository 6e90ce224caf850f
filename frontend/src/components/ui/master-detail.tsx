/**
 * The list-and-detail layout of the resource pages (datasets, collections, models,
 * experiments): a nav of items on the left, each a button with its name and one muted line,
 * and the selected item's detail beside it. On narrow screens the two stack.
 */
import type { CSSProperties, ReactNode } from 'react';

import styles from './master-detail.module.css';

interface MasterDetailProps<T extends { id: number; name: string }> {
  /** The nav's accessible name, e.g. "Datasets". */
  label: string;
  items: readonly T[];
  selectedId: number | null;
  onSelect: (id: number) => void;
  /** The muted line under an item's name, e.g. its version count. */
  meta: (item: T) => ReactNode;
  itemTestId?: string;
  /** The widest the list column grows; pages with wider detail tables keep it narrower. */
  listWidth?: string;
  /** The selected item's detail. */
  children: ReactNode;
}

export function MasterDetail<T extends { id: number; name: string }>({
  label,
  items,
  selectedId,
  onSelect,
  meta,
  itemTestId,
  listWidth = '16rem',
  children,
}: MasterDetailProps<T>) {
  return (
    <div className={styles.layout} style={{ '--list-width': listWidth } as CSSProperties}>
      <nav aria-label={label} className={styles.list}>
        <ul>
          {items.map((item) => (
            <li key={item.id}>
              <button
                type="button"
                className={styles.listItem}
                aria-current={item.id === selectedId ? 'true' : undefined}
                onClick={() => onSelect(item.id)}
                data-testid={itemTestId}
              >
                <span className={styles.listName}>{item.name}</span>
                <span className={styles.muted}>{meta(item)}</span>
              </button>
            </li>
          ))}
        </ul>
      </nav>
      {children}
    </div>
  );
}
