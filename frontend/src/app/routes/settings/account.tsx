/** Settings -> Account: who is signed in, and their hub access token. */
import { HubTokenPanel } from '../../../features/models/components/hub-token-panel';
import { useMe } from '../../../lib/api/get-me';
import styles from './settings.module.css';

export function AccountRoute() {
  const me = useMe();
  if (me.isPending) return <p role="status">Loading your account…</p>;
  if (me.isError) return <p role="alert">Could not load your account. {me.error.message}</p>;
  return (
    <>
      <dl className={styles.details}>
        <dt>Email</dt>
        <dd>{me.data.email}</dd>
        <dt>Role</dt>
        <dd>{me.data.is_staff ? 'Staff' : 'Member'}</dd>
      </dl>
      <HubTokenPanel />
    </>
  );
}
