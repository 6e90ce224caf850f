/** The header's account corner: who is signed in, and the Log out button. */
import { Button } from '../../../components/ui/button';
import { useToast } from '../../../components/ui/toast';
import { useLogout } from '../api/logout';
import { useMe } from '../../../lib/api/get-me';
import styles from './account-actions.module.css';

export function AccountActions() {
  const me = useMe();
  const logout = useLogout();
  const toast = useToast();

  function logOut() {
    logout.mutate(undefined, {
      onError: (error) => toast.add({ title: 'Could not log out', description: error.message }),
    });
  }

  return (
    <div className={styles.account}>
      <span className={styles.email} data-testid="user-email">
        {me.data?.email}
      </span>
      <Button size="small" onClick={logOut} disabled={logout.isPending}>
        Log out
      </Button>
    </div>
  );
}
