/** A secret the server shows only once (a token, a webhook's signing key): the value, a Copy
 * button and what happened when it was pressed. */
import { useCopyToClipboard } from '../lib/use-copy-to-clipboard';
import styles from './secret-once.module.css';
import { Button } from './ui/button';

const copyStatus = (what: string) =>
  ({
    idle: '',
    copied: 'Copied to the clipboard.',
    failed: `Could not copy automatically. Select the ${what} and copy it by hand.`,
  }) as const;

interface SecretOnceProps {
  secret: string;
  testId?: string;
  /** What the secret is called in the message shown when copying fails. */
  what?: string;
}

export function SecretOnce({ secret, testId, what = 'secret' }: SecretOnceProps) {
  const { state, copy } = useCopyToClipboard();
  return (
    <>
      <div className={styles.row}>
        <code className={styles.secret} data-testid={testId}>
          {secret}
        </code>
        <Button onClick={() => void copy(secret)}>{state === 'copied' ? 'Copied' : 'Copy'}</Button>
      </div>
      <p role="status" className={state === 'failed' ? styles.failed : styles.status}>
        {copyStatus(what)[state]}
      </p>
    </>
  );
}
