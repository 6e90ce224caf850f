/**
 * One comparison: the question, then the two answers side by side labelled A and B (the models
 * hidden), the vote buttons once both are finished, and after the vote which model wrote each.
 */
import buttonRow from '../../../components/button-row.module.css';
import muted from '../../../components/muted.module.css';
import { Badge } from '../../../components/ui/badge';
import { Button } from '../../../components/ui/button';
import type { Battle, Vote } from '../api/get-battles';
import { bothAnswered } from '../utils/battle-stream';
import styles from './compare.module.css';

const VOTES: { vote: Vote; label: string }[] = [
  { vote: 'a', label: 'A is better' },
  { vote: 'b', label: 'B is better' },
  { vote: 'tie', label: 'Tie' },
  { vote: 'both_bad', label: 'Both are bad' },
];

const VERDICT: Record<Vote, string> = {
  a: 'You chose A',
  b: 'You chose B',
  tie: 'You called it a tie',
  both_bad: 'You found both bad',
};

interface BattleCardProps {
  battle: Battle;
  onVote: (vote: Vote) => void;
}

export function BattleCard({ battle, onVote }: BattleCardProps) {
  const answered = bothAnswered(battle);
  return (
    <article className={styles.battle} aria-label={`Comparison: ${battle.content}`}>
      <p className={styles.question}>{battle.content}</p>
      <div className={styles.panes}>
        {battle.sides.map((side) => (
          <section
            key={side.side}
            className={styles.pane}
            aria-label={`Answer ${side.side.toUpperCase()}`}
          >
            <header className={styles.paneHeader}>
              <strong>{side.side.toUpperCase()}</strong>
              {side.model ? (
                <span className={muted.small}>{side.model.name}</span>
              ) : (
                <span className={muted.small}>model hidden</span>
              )}
              {side.status === 'queued' && <Badge tone="warning">writing…</Badge>}
              {side.status === 'stopped' && <Badge>stopped</Badge>}
              {side.status === 'failed' && <Badge tone="danger">failed</Badge>}
            </header>
            <p className={styles.answer}>{side.content || side.error}</p>
          </section>
        ))}
      </div>
      {battle.vote ? (
        <p className={muted.small}>{VERDICT[battle.vote]}; the models are shown above.</p>
      ) : (
        <div className={buttonRow.row}>
          {VOTES.map(({ vote, label }) => (
            <Button key={vote} size="small" disabled={!answered} onClick={() => onVote(vote)}>
              {label}
            </Button>
          ))}
          {!answered && <span className={muted.small}>Vote once both answers are finished.</span>}
        </div>
      )}
    </article>
  );
}
