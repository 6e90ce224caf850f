/** A table of personalities: name (a link to its page) and description, kind, status, actions. */
import type { ReactNode } from 'react';
import { Link } from 'react-router';

import { AccessBadge } from '../../../components/access-badge';
import table from '../../../components/table.module.css';
import type { Personality } from '../api/get-personality';
import { KindBadge, TrainingBadge } from './badges';
import styles from './personalities.module.css';

interface PersonalitiesTableProps {
  label: string;
  personalities: readonly Personality[];
  /** The buttons at the end of a row, e.g. "Copy". */
  actions?: (personality: Personality) => ReactNode;
  'data-testid'?: string;
}

export function PersonalitiesTable({
  label,
  personalities,
  actions,
  'data-testid': testId,
}: PersonalitiesTableProps) {
  return (
    <div className={table.wrap}>
      <table className={`${table.table} ${table.top}`} aria-label={label} data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Version</th>
            {actions && (
              <th scope="col" className={table.actions}>
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {personalities.map((personality) => (
            <tr key={personality.id} data-testid="personality-row">
              <td>
                <div className={styles.nameCell}>
                  <span>
                    <Link className={styles.name} to={`/personalities/${personality.id}`}>
                      {personality.name}
                    </Link>{' '}
                    {!personality.builtin && <AccessBadge accessRole={personality.access_role} />}
                  </span>
                  {personality.description && (
                    <span className={styles.description}>{personality.description}</span>
                  )}
                </div>
              </td>
              <td>
                <KindBadge kind={personality.kind} />
              </td>
              <td>
                <span className={styles.badges}>
                  {personality.current_version ? `v${personality.current_version.number}` : '–'}
                  <TrainingBadge version={personality.current_version} />
                </span>
              </td>
              {actions && <td className={table.actions}>{actions(personality)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
