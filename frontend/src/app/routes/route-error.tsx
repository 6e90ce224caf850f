/** Shown in place of a page that crashed while rendering, instead of a blank screen. */
import { useRouteError } from 'react-router';

import { Button } from '../../components/ui/button';
import styles from './route-error.module.css';

export function RouteError() {
  const error = useRouteError();
  const detail = error instanceof Error ? error.message : undefined;
  return (
    <div role="alert" className={styles.error}>
      <h1>Something went wrong</h1>
      <p>
        This page failed to load. Reloading usually helps; if it keeps happening, tell us what you
        were doing.
      </p>
      {detail && <pre>{detail}</pre>}
      <Button variant="primary" onClick={() => window.location.reload()}>
        Reload
      </Button>
    </div>
  );
}
