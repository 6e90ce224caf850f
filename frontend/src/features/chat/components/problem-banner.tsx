/** An error about the chat as a whole (quota used up, not connected), with when it clears. */
import { Button } from '../../../components/ui/button';
import { formatDateTime } from '../../../lib/format';
import type { ChatProblem } from '../utils/chat-stream';
import styles from './chat.module.css';

export function ProblemBanner({
  problem,
  onDismiss,
}: {
  problem: ChatProblem;
  onDismiss: () => void;
}) {
  return (
    <div role="alert" className={styles.problem} data-testid="chat-problem">
      <p>
        {problem.code === 'quota_exceeded' && <strong>Quota reached. </strong>}
        {problem.message}
        {problem.resetAt && (
          <>
            {' '}
            You can chat again at{' '}
            <time dateTime={problem.resetAt}>{formatDateTime(problem.resetAt)}</time>.
          </>
        )}
      </p>
      <Button size="small" variant="ghost" onClick={onDismiss}>
        Dismiss
      </Button>
    </div>
  );
}
