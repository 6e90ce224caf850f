/** The frame around every page: header with the account corner, main navigation, content. */
import { Link, NavLink, Outlet } from 'react-router';

import { AlertNotices } from '../../features/alerts/components/alert-notices';
import { AccountActions } from '../../features/auth/components/account-actions';
import { LiveIndicator } from '../../features/notifications/components/live-indicator';
import { useMe } from '../../lib/api/get-me';
import styles from './app-shell.module.css';

const navigation = [
  { to: '/', label: 'Dashboard' },
  { to: '/datasets', label: 'Datasets' },
  { to: '/recipes', label: 'Recipes' },
  { to: '/experiments', label: 'Experiments' },
  { to: '/sweeps', label: 'Sweeps' },
  { to: '/models', label: 'Models' },
  { to: '/endpoints', label: 'Endpoints' },
  { to: '/chat', label: 'Chat' },
  { to: '/arena', label: 'Arena' },
  { to: '/documents', label: 'Documents' },
  { to: '/decks', label: 'Cards' },
  { to: '/personalities', label: 'Personalities' },
  { to: '/teams', label: 'Teams' },
  { to: '/audit', label: 'Audit' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/usage', label: 'Usage' },
  { to: '/settings', label: 'Settings' },
] as const;

/** Entries only staff can use; the pages themselves also refuse others. */
const staffNavigation = [{ to: '/monitoring', label: 'Site monitoring' }] as const;

export function AppShell() {
  const me = useMe();
  const entries = me.data?.is_staff ? [...navigation, ...staffNavigation] : navigation;
  return (
    <div className={styles.shell}>
      <a href="#main" className={styles.skipLink}>
        Skip to content
      </a>
      <header className={styles.header}>
        <Link to="/" className={styles.brand}>
          SloughGPT
        </Link>
        <div className={styles.headerEnd}>
          <LiveIndicator />
          <AccountActions />
        </div>
      </header>
      <nav className={styles.nav} aria-label="Main">
        <ul>
          {entries.map(({ to, label }) => (
            <li key={to}>
              <NavLink to={to} end={to === '/'} className={styles.navLink}>
                {label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className={styles.main} tabIndex={-1}>
        <Outlet />
      </main>
      <AlertNotices />
    </div>
  );
}
