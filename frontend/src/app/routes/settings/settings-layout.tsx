/** Settings: a section menu and the chosen section. */
import { NavLink, Outlet } from 'react-router';

import { Page } from '../../../components/page';
import styles from './settings.module.css';

export function SettingsLayout() {
  return (
    <Page title="Settings">
      <nav className={styles.tabs} aria-label="Settings sections">
        <NavLink to="/settings" end className={styles.tab}>
          Account
        </NavLink>
        <NavLink to="/settings/tokens" className={styles.tab}>
          API tokens
        </NavLink>
      </nav>
      <Outlet />
    </Page>
  );
}
