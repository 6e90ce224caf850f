/**
 * Compare mode of a conversation: pick two of your ready model versions or remote models, ask
 * one question, and
 * both answer at once, streamed side by side as A and B (the server decides which is which and
 * hides it); Stop ends both answers early, keeping what they wrote; vote, and the models are
 * revealed. The comparisons of this conversation are listed newest first.
 */
import { type ReactNode, useState } from 'react';

import muted from '../../../components/muted.module.css';
import { QueryState } from '../../../components/query-state';
import { SelectField } from '../../../components/ui/select-field';
import { useReadyModelVersions } from '../../../lib/api/get-all-model-versions';
import { useEndpoints } from '../../../lib/api/get-endpoints';
import { type Contestants, contestantsOf, remoteModelOptions } from '../../../lib/model-choice';
import { useBattles, type Vote } from '../api/get-battles';
import { bothAnswered } from '../utils/battle-stream';
import { BattleCard } from './battle-card';
import styles from './compare.module.css';
import { Composer } from './composer';

interface ComparePanelProps {
  conversationId: number;
  onCompare: (content: string, contestants: Contestants) => boolean;
  onVote: (battleId: number, vote: Vote) => boolean;
  onStop: () => void;
  /** A socket problem to show above the question box. */
  problem?: ReactNode;
}

export function ComparePanel({
  conversationId,
  onCompare,
  onVote,
  onStop,
  problem,
}: ComparePanelProps) {
  const versions = useReadyModelVersions();
  const endpoints = useEndpoints();
  const battles = useBattles(conversationId);
  const [first, setFirst] = useState('');
  const [second, setSecond] = useState('');
  const options = [
    { value: '', label: 'Choose a model' },
    ...versions.versions.map((version) => ({
      value: String(version.id),
      label: `${version.model_name} ${version.version}`,
    })),
    ...remoteModelOptions(endpoints.data?.results),
  ];
  const chosen = first !== '' && second !== '' && first !== second;
  const running = (battles.data ?? []).some((battle) => !bothAnswered(battle));

  return (
    <>
      <div className={styles.pickers}>
        <SelectField
          name="first"
          label="First model"
          options={options}
          value={first}
          onValueChange={setFirst}
        />
        <SelectField
          name="second"
          label="Second model"
          options={options}
          value={second}
          onValueChange={setSecond}
        />
      </div>
      {!chosen && (
        <p className={muted.small}>
          Choose two different models; their answers are labelled A and B in an order the server
          picks, and shown once you vote.
        </p>
      )}
      <div className={styles.battles} aria-live="polite">
        <QueryState
          query={battles}
          loading="Loading comparisons…"
          failure="Could not load the comparisons."
          isEmpty={(battles.data ?? []).length === 0}
          empty={<p className={muted.small}>Ask a question below to compare the two models.</p>}
        >
          {(battles.data ?? []).map((battle) => (
            <BattleCard
              key={battle.id}
              battle={battle}
              onVote={(vote) => onVote(battle.id, vote)}
            />
          ))}
        </QueryState>
      </div>
      {problem}
      <Composer
        generating={running}
        disabled={!chosen}
        placeholder="Ask both models…"
        onSend={(content) => onCompare(content, contestantsOf([first, second]))}
        onStop={onStop}
      />
    </>
  );
}
