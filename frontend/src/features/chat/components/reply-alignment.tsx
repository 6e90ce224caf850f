/**
 * A reply's alignment with the conversation's personality, on demand: a small button under
 * the reply that measures the conversation's replies (once) and opens this reply's alignment
 * and every metric. Once measured, every reply's button shows its alignment.
 */
import { useState } from 'react';

import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import { Button } from '../../../components/ui/button';
import { Dialog } from '../../../components/ui/dialog';
import { formatScore } from '../../../lib/format';
import { usePersonalityTrend } from '../api/get-personality-trend';
import { metricRows } from '../utils/alignment';
import type { ConversationPersonality } from '../utils/personality-options';
import styles from './chat.module.css';

interface ReplyAlignmentProps {
  conversationId: number;
  personality: ConversationPersonality;
  /** `finishedRepliesKey` of the conversation's messages. */
  repliesKey: string;
  messageId: number;
}

export function ReplyAlignment({
  conversationId,
  personality,
  repliesKey,
  messageId,
}: ReplyAlignmentProps) {
  const [open, setOpen] = useState(false);
  const trend = usePersonalityTrend(conversationId, personality.version_id, repliesKey, open);
  const score = trend.data?.texts.find((text) => text.message_id === messageId);

  return (
    <>
      <Button
        size="small"
        variant="ghost"
        onClick={() => setOpen(true)}
        aria-label={`Alignment with ${personality.name}`}
        data-testid="reply-alignment"
      >
        {score ? `Alignment ${formatScore(score.alignment, 2)}` : 'Alignment'}
      </Button>
      <Dialog
        open={open}
        onOpenChange={setOpen}
        title={`Alignment with ${personality.name}`}
        description={`How this reply measures against version ${personality.version_number}: 0 is nothing like it, 1 is just like it.`}
        data-testid="reply-alignment-dialog"
      >
        <QueryState
          query={trend}
          loading="Measuring the replies…"
          failure="Could not measure the replies."
          statusClassName={muted.small}
          isEmpty={!score}
          empty={<p className={muted.small}>This reply has no text to measure.</p>}
        >
          {score && (
            <>
              <p className={styles.alignmentValue}>
                Alignment <strong>{formatScore(score.alignment, 2)}</strong>
                <span className={muted.small}>
                  {' '}
                  (conversation mean {formatScore(trend.data?.alignment.mean ?? 0, 2)})
                </span>
              </p>
              <table className={styles.metricTable}>
                <caption className="visually-hidden">Metrics of this reply</caption>
                <tbody>
                  {metricRows(score.metrics).map(([label, value]) => (
                    <tr key={label}>
                      <th scope="row">{label}</th>
                      <td>{value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {score.warnings.map((warning) => (
                <p key={warning} role="note" className={muted.small}>
                  {warning}
                </p>
              ))}
            </>
          )}
        </QueryState>
        <Button size="small" onClick={() => setOpen(false)}>
          Close
        </Button>
      </Dialog>
    </>
  );
}
