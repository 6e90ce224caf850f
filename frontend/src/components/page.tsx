/** The frame of every page: its heading (also the document title), an optional lead, actions. */
import type { ReactNode } from 'react';

import buttonRow from './button-row.module.css';
import styles from './page.module.css';

interface PageProps {
  title: string;
  lead?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}

export function Page({ title, lead, actions, children }: PageProps) {
  return (
    <section className={styles.page} aria-labelledby="page-title">
      <title>{`${title} · SloughGPT`}</title>
      <header className={styles.header}>
        <div className={styles.heading}>
          <h1 id="page-title">{title}</h1>
          {lead && <p className={styles.lead}>{lead}</p>}
        </div>
        {actions && <div className={buttonRow.row}>{actions}</div>}
      </header>
      {children}
    </section>
  );
}
